import DataPipeline
import ImageFormats
import Shards
import SystemIO

extension TrainingData {
    /// A uint8 pack in a local folder (`millrace pack --decoded`): every shard mapped and read in
    /// place, in any order (no staging, no cache).
    static func openDecodedPack(_ location: Location, preprocessing base: Preprocessing, options: ReadOptions) throws -> TrainingData {
        var preprocessing = base
        let path = location.path ?? ""
        if location.validationPath == nil, let fraction = location.validationSplit, fraction > 0 {
            throw packedSplitRefusal(path: path, fraction: fraction)
        }
        let pack = try MappedPack(directory: path, normalization: preprocessing.normalization)
        try requireClasses(pack.classNames, path: path)
        preprocessing.classNames = pack.classNames
        preprocessing.sampleShape = pack.sampleShape
        if let channels = pack.manifest.channels { preprocessing.channels = ChannelMode(rawValue: channels) }
        preprocessing.size = [pack.sampleShape[2], pack.sampleShape[1]]
        let validation = try location.validationPath.map { try source(path: $0, preprocessing: preprocessing, options: options) }
        return TrainingData(training: .randomAccess(pack), validation: validation, preprocessing: preprocessing, stager: nil, quarantined: [])
    }

    /// The refusal of `validation_split` for packed data.
    static func packedSplitRefusal(path: String, fraction: Double) -> DataError {
        DataError(
            .invalidOption, path: path,
            reason: "validation_split \(fraction) is not supported for packed data (it would be ignored)",
            fix: "give held-out data with --validation <PNG folder or CSV> (dataset.validation_path), or remove validation_split")
    }
}
