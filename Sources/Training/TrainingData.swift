import DataPipeline
import Foundation
import Tensors

/// The training and validation data of a run, built from the configuration's dataset section.
public struct TrainingData: @unchecked Sendable {
    /// The training samples (for packed data: a view for counting only; batches come from `packed`).
    public var training: any BatchSource
    /// Packed, staged training data, when the data is a packed directory or URL.
    public var packed: ShardedDataset?
    /// The validation samples, if any.
    public var validation: (any BatchSource)?
    /// The class names.
    public var classNames: [String]
    /// The shape of one sample.
    public var sampleShape: [Int]

    /// Builds the data; `path` and `validationPath` override the configuration's. Packed data
    /// (a directory with a shard manifest, or an http(s) URL) is staged through `cache`.
    public static func make(_ dataset: RunConfiguration.Dataset, seed: UInt64, path: String? = nil, validationPath: String? = nil,
                            cache: (directory: String, budget: Int)? = nil) throws -> TrainingData {
        let dataPath = path ?? dataset.path
        let validationFile = validationPath ?? dataset.validationPath
        if let dataPath, TrainingData.isPacked(dataPath) {
            let source: any ShardSource = dataPath.hasPrefix("http://") || dataPath.hasPrefix("https://")
                ? HTTPShardSource(manifestURL: URL(string: dataPath)!) : LocalShardSource(directory: dataPath)
            let stager = try ShardStager(source: source, cacheDirectory: cache?.directory ?? "runs/cache", budgetBytes: cache?.budget ?? 1 << 30)
            let packed = ShardedDataset(stager: stager)
            let counting = TensorDataset(features: Tensor(shape: [packed.manifest.totalSamples, 0]), labels: [Int](repeating: 0, count: packed.manifest.totalSamples),
                                         classNames: packed.classNames, name: dataPath)
            var validation: (any BatchSource)?
            if let validationFile {
                var images = dataset
                images.kind = validationFile.lowercased().hasSuffix(".csv") ? .csv : .imageFolder
                images.channels = packed.manifest.channels.flatMap(ImageChannels.init(rawValue:)) ?? images.channels
                if packed.sampleShape.count == 3 { images.size = [packed.sampleShape[2], packed.sampleShape[1]] }
                validation = try make(images, seed: seed, path: validationFile).training
            }
            return TrainingData(training: counting, packed: packed, validation: validation, classNames: packed.classNames, sampleShape: packed.sampleShape)
        }
        switch dataset.kind {
        case .xor:
            let features = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
            let data = TensorDataset(features: features, labels: [0, 1, 1, 0], classNames: ["0", "1"], name: "xor")
            return TrainingData(training: data, packed: nil, validation: nil, classNames: ["0", "1"], sampleShape: [2])
        case .csv:
            let training = try csv(dataPath ?? "", dataset: dataset, classNames: nil)
            if let validationFile {
                let validation = try csv(validationFile, dataset: dataset, classNames: training.classNames)
                return TrainingData(training: training, packed: nil, validation: validation, classNames: training.classNames, sampleShape: training.sampleShape)
            }
            guard let split = dataset.validationSplit, split > 0 else {
                return TrainingData(training: training, packed: nil, validation: nil, classNames: training.classNames, sampleShape: training.sampleShape)
            }
            var generator = RandomGenerator(seed: seed, stream: [0x5B117])
            let order = generator.permutation(training.count)
            let held = Int((split * Double(training.count)).rounded())
            let validationRows = Array(order.prefix(held)).sorted(), trainingRows = Array(order.dropFirst(held)).sorted()
            func subset(_ rows: [Int]) -> TensorDataset {
                TensorDataset(features: training.features.gathering(rows: rows), labels: rows.map { training.labels[$0] },
                              classNames: training.classNames, name: training.name)
            }
            return TrainingData(training: subset(trainingRows), packed: nil, validation: subset(validationRows), classNames: training.classNames, sampleShape: training.sampleShape)
        case .imageFolder:
            let channels = dataset.channelMode
            let size = dataset.size.flatMap { $0.count == 2 ? (width: $0[0], height: $0[1]) : nil }
            let sizing = dataset.imageSizing
            let folder = try ImageFolder(root: dataPath ?? "", options: .init(channels: channels, size: size, sizing: sizing))
            if let validationFile {
                let validation = try ImageFolder(root: validationFile, options: .init(channels: channels, size: size ?? folder.expectedSize, sizing: sizing, classNames: folder.classNames))
                return TrainingData(training: folder, packed: nil, validation: validation, classNames: folder.classNames, sampleShape: folder.sampleShape)
            }
            guard let split = dataset.validationSplit, split > 0 else {
                return TrainingData(training: folder, packed: nil, validation: nil, classNames: folder.classNames, sampleShape: folder.sampleShape)
            }
            let (training, validation) = folder.split(validationFraction: split, seed: seed)
            return TrainingData(training: training, packed: nil, validation: validation, classNames: folder.classNames, sampleShape: folder.sampleShape)
        }
    }

    /// Whether `path` is packed data: an http(s) URL or a directory holding a shard manifest.
    public static func isPacked(_ path: String) -> Bool {
        path.hasPrefix("http://") || path.hasPrefix("https://") || FileManager.default.fileExists(atPath: "\(path)/manifest.json")
    }

    /// Reads a whole CSV file into memory (for files that fit; larger ones stream as chunks).
    static func csv(_ path: String, dataset: RunConfiguration.Dataset, classNames: [String]?) throws -> TensorDataset {
        var options = CSVOptions()
        options.labelColumn = .name(dataset.labelColumn ?? "label")
        options.ignoredColumns = (dataset.ignoreColumns ?? []).map { .name($0) }
        if let classNames, dataset.labels == .text {
            options.labelMapping = .given(classNames)
        } else {
            options.labelMapping = dataset.labels == .text ? .firstAppearance : .numeric
        }
        options.threads = 2
        let reader = try CSVReader(path: path, options: options)
        var rows: [Float] = [], labels: [Int] = []
        while let chunk = try reader.next() {
            rows += chunk.features.scalars
            labels += chunk.labels
        }
        let width = reader.featureNames.count
        let names = classNames ?? reader.classNames
        return TensorDataset(features: Tensor(shape: [labels.count, width], scalars: rows), labels: labels, classNames: names, name: path)
    }
}
