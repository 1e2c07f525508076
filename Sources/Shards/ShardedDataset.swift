import DataPipeline
import ImageFormats
import SystemIO
import TabularFormats
import Tensors

/// A packed dataset read shard by shard (a shard is a chunk): random access inside a shard,
/// sequential across shards. Shard files come from a `ShardStager` (a local directory or a
/// download cache); a pipeline's windowed order tells the stager what comes next. (A uint8 pack
/// in a local folder is better read in place by `MappedPack`; staged, its shards are mapped and
/// converted here.)
public struct ShardedDataset: ChunkedDataset {
    /// The manifest.
    public let manifest: ShardManifest
    /// Where shards come from.
    public let stager: ShardStager

    /// The normalization applied to every sample as shards are read.
    public let normalization: Normalization?
    /// Whether a packed JPEG's EXIF orientation is applied as its bytes are decoded.
    public let orientation: ExifOrientation

    /// A dataset over `stager`'s shards; `normalization` is applied to every sample read.
    public init(stager: ShardStager, normalization: Normalization? = nil, orientation: ExifOrientation = .ignore) {
        self.stager = stager
        manifest = stager.manifest
        self.normalization = normalization
        self.orientation = orientation
    }

    /// The number of shards.
    public var chunkCount: Int { manifest.shards.count }
    /// The class names.
    public var classNames: [String] { manifest.classNames }
    /// The shape of one sample.
    public var sampleShape: [Int] { manifest.sampleShape }
    /// The samples of shard `index`.
    public func sampleCount(ofChunk index: Int) -> Int { manifest.shards[index].samples }

    /// Reads (waiting for it to be staged) and decodes shard `index`.
    public func loadChunk(at index: Int) throws -> SampleChunk {
        let path = try stager.localPath(ofShard: index)
        if manifest.sampleFormat == .uint8 { return try loadDecodedChunk(at: index, path: path) }
        let bytes = try FileBytes.contents(of: path)
        let (format, featureCount, entries) = try ShardFormat.index(bytes, path: path, classCount: manifest.classNames.count)
        guard format == manifest.sampleFormat else {
            throw DataError(
                .corrupt, path: path, byteOffset: 12,
                reason: "the shard holds \(format.rawValue) samples, the manifest says \(manifest.sampleFormat.rawValue)",
                fix: "the shard does not belong to this manifest: pack the dataset again")
        }
        guard entries.count == manifest.shards[index].samples else {
            throw DataError(
                .corrupt, path: path, byteOffset: 8,
                reason: "the shard's index holds \(entries.count) samples, the manifest says \(manifest.shards[index].samples)",
                fix: "the shard does not belong to this manifest or is damaged: pack the dataset again")
        }
        let width = Tensor.elementCount(of: sampleShape)
        let channels = ChannelMode(rawValue: manifest.channels ?? "rgb") ?? .rgb
        let decoder = ImageDecoder(orientation: orientation)
        let scratch = DecodeScratch()
        var failure: Error?
        let normalization = self.normalization
        let shape = sampleShape
        let features = Tensor(
            shape: [entries.count] + sampleShape,
            unsafeUninitialized: { out in
                for (row, entry) in entries.enumerated() {
                    let slot = UnsafeMutableBufferPointer(rebasing: out[(row * width)..<((row + 1) * width)])
                    if format == .float32 {
                        guard featureCount == width else {
                            failure = DataError(
                                .inconsistentShape, path: path, reason: "shard has \(featureCount) features, the manifest says \(width)",
                                fix: "pack again")
                            slot.update(repeating: 0)
                            continue
                        }
                        bytes.withUnsafeBytes { raw in
                            for k in 0..<width {
                                slot[k] = Float(
                                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: entry.0.lowerBound + 4 * k, as: UInt32.self)))
                            }
                        }
                        normalization?.apply(to: slot, shape: shape)
                    } else {
                        do {
                            // Decoded from the shard's bytes in place, into reused buffers.
                            try bytes.withUnsafeBufferPointer { all in
                                try decoder.withDecoded(
                                    UnsafeBufferPointer(rebasing: all[entry.0]), path: path, channels: channels,
                                    scratch: scratch
                                ) { header, pixels in
                                    guard header.width * header.height * channels.channelCount == width else {
                                        throw DataError(
                                            .inconsistentShape, path: "\(path)#\(row)",
                                            reason: "image is \(header.width)x\(header.height), the dataset's is \(sampleShape)",
                                            fix: "pack with a fixed size")
                                    }
                                    scratch.writeChannelsFirst(
                                        pixels, channels: channels.channelCount, plane: header.width * header.height,
                                        normalization: normalization, into: slot)
                                }
                            }
                        } catch var error as DataError {
                            // The record's name is built only for an error (not per decoded sample).
                            if error.path == path { error.path = "\(path)#\(row)" }
                            failure = failure ?? error
                            slot.update(repeating: 0)
                        } catch {
                            failure = failure ?? error
                            slot.update(repeating: 0)
                        }
                    }
                }
            })
        if let failure { throw failure }
        return SampleChunk(
            index: index, features: features, labels: entries.map(\.1), path: manifest.shards[index].name,
            lines: Array(0..<entries.count))
    }
}

extension ShardedDataset {
    /// Asks the stager to fetch these shards next.
    public func willRead(chunks: [Int]) { stager.schedule(chunks) }
    /// Deletes the shard's file.
    public func didConsume(chunk index: Int) { stager.release(index) }
    /// The number of the largest shards the disk budget holds.
    public var chunkCapacity: Int? { stager.budgetBytes / max(1, manifest.largestShardBytes) }
}
