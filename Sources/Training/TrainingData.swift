import DataPipeline
import Foundation
import ImageFormats
import Shards
import SystemIO
import TabularFormats
import Tensors

/// The training and validation data of a run, as the pipeline reads them, with the
/// preprocessing that produced them (class names and sample shape filled in).
public struct TrainingData: Sendable {
    /// The training samples.
    public var training: DataSource
    /// The validation samples, if any.
    public var validation: DataSource?
    /// How samples were prepared; saved with every checkpoint.
    public var preprocessing: Preprocessing
    /// The stager of packed data (stop it when training ends).
    public var stager: ShardStager?
    /// Rows the CSV index pass skipped under the skipping policy.
    public var quarantined: [QuarantineEntry]
    /// Warnings about the data to show once (entries of an image folder that were skipped
    /// because they are not regular files or repeat a folder through a link).
    public var notes: [String] = []

    /// The class names.
    public var classNames: [String] { preprocessing.classNames ?? [] }
    /// The shape of one sample.
    public var sampleShape: [Int] { preprocessing.sampleShape ?? training.sampleShape }

    /// Where the data is and how it is split.
    public struct Location: Sendable {
        /// The kind of data.
        public var kind: DataKind
        /// The training data's path (nil only for XOR).
        public var path: String?
        /// A separate validation folder or file.
        public var validationPath: String?
        /// The fraction held out for validation when there is no validation path.
        public var validationSplit: Double?

        /// Creates a location.
        public init(kind: DataKind, path: String?, validationPath: String? = nil, validationSplit: Double? = nil) {
            self.kind = kind
            self.path = path
            self.validationPath = validationPath
            self.validationSplit = validationSplit
        }
    }

    /// How the data is read.
    public struct ReadOptions: Sendable {
        /// The seed of splits.
        public var seed: UInt64 = 0
        /// The bad-input policy.
        public var badInput = BadInputPolicy.fail
        /// Threads for the CSV index pass.
        public var threads = 1
        /// Where packed data is staged, and the disk budget.
        public var cacheDirectory = "runs/cache"
        /// The staging budget in bytes.
        public var cacheBudget = 1 << 30
        /// Seconds an HTTP transfer of packed data may go without receiving a byte before it is
        /// abandoned and retried (`--stall-timeout`).
        public var stallTimeout: Double = HTTPShardSource.defaultStallTimeout

        /// The defaults.
        public init() {}
    }

    /// Opens the training data (listing image folders and indexing CSV files, not decoding them)
    /// and the validation data: a separate path read with the training data's preprocessing, or
    /// a seeded split (stratified by class for image folders; by a hash of the row number for
    /// CSV, so that a streamed file is split without being read twice).
    public static func open(_ location: Location, preprocessing base: Preprocessing, options: ReadOptions) throws -> TrainingData {
        var preprocessing = base
        switch location.kind {
        case .xor:
            let dataset = TensorDataset(
                features: Tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), labels: [0, 1, 1, 0], classNames: ["0", "1"], name: "xor")
            preprocessing.classNames = ["0", "1"]
            preprocessing.sampleShape = [2]
            return TrainingData(training: .randomAccess(dataset), validation: nil, preprocessing: preprocessing, stager: nil, quarantined: [])
        case .packed:
            let path = location.path ?? ""
            // A uint8 pack in a local folder is read in place through mmap, not staged.
            if !DataKind.isURL(path), MappedPack.isDecodedPack(path) {
                return try openDecodedPack(location, preprocessing: preprocessing, options: options)
            }
            let shardSource: any ShardSource
            if DataKind.isURL(path) {
                guard let url = URL(string: path) else {
                    throw DataError(.invalidOption, path: path, reason: "not a valid URL", fix: "give an http(s) URL of a shard manifest")
                }
                shardSource = HTTPShardSource(manifestURL: url, stallTimeout: options.stallTimeout)
            } else {
                shardSource = LocalShardSource(directory: path.hasSuffix("/manifest.json") ? String(path.dropLast(14)) : path)
            }
            let stager = try ShardStager(source: shardSource, cacheDirectory: options.cacheDirectory, budgetBytes: options.cacheBudget)
            if location.validationPath == nil, let fraction = location.validationSplit, fraction > 0 {
                // Refused rather than ignored: a split would have two pipelines staging and
                // deleting the same shards within one budget.
                stager.stop()
                throw packedSplitRefusal(path: path, fraction: fraction)
            }
            let packed = ShardedDataset(
                stager: stager, normalization: preprocessing.normalization, orientation: preprocessing.exifOrientation ?? .ignore)
            do { try requireClasses(packed.classNames, path: path) } catch {
                stager.stop()
                throw error
            }
            preprocessing.classNames = packed.classNames
            preprocessing.sampleShape = packed.sampleShape
            if let channels = packed.manifest.channels { preprocessing.channels = ChannelMode(rawValue: channels) }
            if packed.sampleShape.count == 3 { preprocessing.size = [packed.sampleShape[2], packed.sampleShape[1]] }
            let validation = try location.validationPath.map { try source(path: $0, preprocessing: preprocessing, options: options) }
            return TrainingData(training: .chunked(packed), validation: validation, preprocessing: preprocessing, stager: stager, quarantined: [])
        case .csv:
            let path = location.path ?? ""
            // Categories and mean fills come from the training rows alone (the held-out rows of a
            // split are the split's own, `RowSplit` below).
            let heldOut = location.validationPath == nil ? location.validationSplit.map { RowSplit(fraction: $0, seed: options.seed) } : nil
            let dataset = try csvDataset(
                path: path, preprocessing: preprocessing, options: csvOptions(preprocessing, options: options),
                countingRows: heldOut.map { split in { !split.isHeldOut(row: $0) } })
            preprocessing.adoptTables(of: dataset)
            preprocessing.classNames = dataset.classNames
            preprocessing.sampleShape = dataset.sampleShape
            if let targets = preprocessing.targetColumns {
                // The model sees the features; each row's targets follow them (`RegressionTargets`).
                preprocessing.classNames = targets
                preprocessing.sampleShape = [dataset.sampleShape[0] - targets.count]
            }
            let training: DataSource
            let validation: DataSource?
            if let validationPath = location.validationPath {
                training = .chunked(dataset)
                validation = try source(path: validationPath, preprocessing: preprocessing, options: options)
            } else if let fraction = location.validationSplit, fraction > 0 {
                let split = RowSplit(fraction: fraction, seed: options.seed)
                training = .chunked(ChunkedRowSplit(base: dataset, split: split, heldOut: false))
                validation = .chunked(ChunkedRowSplit(base: dataset, split: split, heldOut: true))
            } else {
                (training, validation) = (.chunked(dataset), nil)
            }
            // 0/1 labels (multi-label) are never scaled.
            if let targets = preprocessing.targetColumns, preprocessing.normalizesTargets != false, preprocessing.targetNormalization == nil,
                preprocessing.targetKind != .multiLabel
            {
                preprocessing.targetNormalization = try RegressionTargets.statistics(of: training, count: targets.count)
            }
            return TrainingData(
                training: training, validation: validation, preprocessing: preprocessing, stager: nil, quarantined: dataset.quarantined)
        case .imageFolder:
            let folder = try ImageFolder(root: location.path ?? "", options: imageOptions(preprocessing))
            try requireClasses(folder.classNames, path: folder.root)
            let notes = [folder.skippedFilesNote].compactMap { $0 }
            preprocessing.classNames = folder.classNames
            preprocessing.sampleShape = folder.sampleShape
            preprocessing.size = [folder.sampleShape[2], folder.sampleShape[1]]
            preprocessing.channels = folder.options.channels
            let training: DataSource
            let validation: DataSource?
            if let validationPath = location.validationPath {
                training = .randomAccess(folder)
                validation = try source(path: validationPath, preprocessing: preprocessing, options: options)
            } else if let fraction = location.validationSplit, fraction > 0 {
                let (kept, heldOut) = folder.split(validationFraction: fraction, seed: options.seed)
                (training, validation) = (.randomAccess(kept), .randomAccess(heldOut))
            } else {
                (training, validation) = (.randomAccess(folder), nil)
            }
            return TrainingData(
                training: training, validation: validation, preprocessing: preprocessing, stager: nil, quarantined: [], notes: notes)
        }
    }

    /// Training data must make a classification problem: at least 2 classes (a CSV file's labels
    /// are checked as it is read, `CSVOptions.checksClasses`; these are class folders or a packed
    /// manifest's class names).
    static func requireClasses(_ names: [String], path: String) throws(DataError) {
        guard names.count < 2 else { return }
        let found = names.first.map { "1 class ('\($0)')" } ?? "no class"
        throw DataError(
            .emptyDataset, path: path, reason: "the training data has \(found); a classifier needs at least 2 classes",
            fix: "give training data with at least 2 classes (class folders, or labels)")
    }

    /// Evaluation or validation data at `path` (an image folder or a CSV file), read exactly as
    /// `preprocessing` says: the same channels, size, normalisation and class mapping. A label the
    /// class names do not hold is an error when the data is opened (before any training), naming
    /// the file, the line and the model's classes.
    public static func source(path: String, preprocessing: Preprocessing, options: ReadOptions = ReadOptions()) throws -> DataSource {
        switch DataKind.of(path: path) {
        case .csv:
            var csv = csvOptions(preprocessing, options: options)
            // Read against the model's classes: the data may hold only some of them.
            csv.checksClasses = false
            let classes = preprocessing.classNames ?? []
            if case .numeric = csv.labelMapping, !classes.isEmpty { csv.maximumClasses = classes.count }
            do {
                return .chunked(try csvDataset(path: path, preprocessing: preprocessing, options: csv))
            } catch {
                guard error.kind == .unknownLabel, !classes.isEmpty else { throw error }
                let listed = classes.prefix(10).joined(separator: ", ") + (classes.count > 10 ? ", ..." : "")
                var unknown = error
                unknown.fix = "the model was trained on \(classes.count) classes (\(listed)): give data with those classes only"
                throw unknown
            }
        case .imageFolder:
            return .randomAccess(try ImageFolder(root: path, options: imageOptions(preprocessing)))
        case .packed, .xor:
            throw DataError(
                .invalidOption, path: path, reason: "packed data cannot be used for validation or evaluation",
                fix: "give a PNG class folder or a CSV file")
        }
    }

    /// The CSV reader's options for `preprocessing`.
    static func csvOptions(_ preprocessing: Preprocessing, options: ReadOptions) -> CSVOptions {
        var csv = CSVOptions()
        csv.labelColumn = .name(preprocessing.labelColumn ?? "label")
        csv.ignoredColumns = (preprocessing.ignoredColumns ?? []).map { .name($0) }
        if preprocessing.textLabels == true {
            csv.labelMapping = preprocessing.classNames.map { .given($0) } ?? .firstAppearance
        } else {
            csv.labelMapping = .numeric
        }
        if let targets = preprocessing.targetColumns {
            csv.labelColumn = nil
            csv.targetColumns = targets.map { .name($0) }
            csv.binaryTargets = preprocessing.targetKind == .multiLabel
            csv.labelMapping = .numeric
        }
        preprocessing.applyTables(to: &csv)
        csv.badInput = options.badInput
        csv.threads = max(1, options.threads)
        // Training data must make a classification problem (`source` turns this off).
        csv.checksClasses = preprocessing.targetColumns == nil
        return csv
    }

    /// The image folder's options for `preprocessing`.
    static func imageOptions(_ preprocessing: Preprocessing) -> ImageFolder.Options {
        ImageFolder.Options(
            channels: preprocessing.channels ?? .rgb, size: preprocessing.imageSize, sizing: preprocessing.sizing ?? .resize,
            classNames: preprocessing.classNames, normalization: preprocessing.normalization,
            orientation: preprocessing.exifOrientation ?? .ignore)
    }
}
