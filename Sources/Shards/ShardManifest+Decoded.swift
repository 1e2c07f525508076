import ImageFormats
import SystemIO

extension ShardManifest {
    /// The bytes of one uint8 sample: the sample shape's element count.
    public var sampleBytes: Int { sampleShape.reduce(1, *) }

    /// A uint8 pack's own rules: format version 2, images (`[channels, height, width]`, every
    /// dimension positive) whose channel count is the manifest's `channels`. `path` names the
    /// manifest in errors. (Each shard's size is checked with the others' entries.)
    func validateDecoded(path: String) throws(DataError) {
        func refuse(_ reason: String) -> DataError {
            DataError(
                .corrupt, path: path, reason: reason,
                fix: "use a manifest written by millrace pack --decoded; do not trust a manifest from an unknown source")
        }
        guard formatVersion >= ShardManifest.decodedFormatVersion else {
            throw refuse("sample_format uint8 needs format_version \(ShardManifest.decodedFormatVersion), not \(formatVersion)")
        }
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw refuse("sample_shape \(sampleShape) of a uint8 pack is not [channels, height, width] with positive sizes")
        }
        guard let channels, let mode = ChannelMode(rawValue: channels), mode.channelCount == sampleShape[0] else {
            throw refuse("sample_shape \(sampleShape) of a uint8 pack does not match its channels (\(channels ?? "none given"))")
        }
    }
}
