import Checkpoints
import DataPipeline
import Foundation
import ImageFormats
import Layers
import SystemIO
import Tensors

/// A model rebuilt from a checkpoint: its configuration (saved in the manifest), class names,
/// sample shape and weights.
public struct TrainedModel {
    /// The run's configuration.
    public var configuration: RunConfiguration
    /// The network with the checkpoint's weights.
    public var model: Sequential
    /// How the training data was prepared (class names and sample shape filled in): evaluation
    /// and prediction read data the same way.
    public var preprocessing: Preprocessing
    /// The checkpoint.
    public var checkpoint: LoadedCheckpoint

    /// The class names, in class-index order.
    public var classNames: [String] { preprocessing.classNames ?? [] }
    /// The shape of one sample.
    public var sampleShape: [Int] { preprocessing.sampleShape ?? [] }

    /// Loads a checkpoint directory (`step-…`) or the newest good checkpoint of a store.
    public static func load(_ path: String) throws -> TrainedModel {
        let checkpoint: LoadedCheckpoint
        if FileManager.default.fileExists(atPath: "\(path)/manifest.json") {
            checkpoint = try CheckpointStore.load(checkpoint: path)
        } else {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CheckpointError(
                    .notFound, path: path, reason: PathProblem.brokenLink(path) ?? "no such checkpoint or checkpoint directory",
                    fix: "give a run's checkpoints directory or one step-… directory")
            }
            let store = try CheckpointStore(directory: path, mode: .readOnly)
            guard let latest = try store.loadLatestUndamaged(fix: "give a checkpoint that is not damaged, or train again") else {
                throw CheckpointError(.notFound, path: path, reason: "no loadable checkpoint here", fix: "train first, or give another directory")
            }
            checkpoint = latest
        }
        guard let text = checkpoint.manifest.configuration,
            let shapeText = checkpoint.manifest.hyperparameters["sample_shape"],
            let namesText = checkpoint.manifest.hyperparameters["class_names"]
        else {
            throw CheckpointError(
                .incompatible, path: checkpoint.path, reason: "the checkpoint does not record its run configuration",
                fix: "use a checkpoint written by millrace train")
        }
        let configuration = try RunConfiguration.decode(Data(text.utf8), path: "\(checkpoint.path)/manifest.json")
        let classNames = decodeClassNames(namesText)
        let sampleShape = shapeText.split(separator: ",").compactMap { Int($0) }
        let model = try ModelBuilder.build(
            configuration.model.layers, sampleShape: sampleShape, classes: max(classNames.count, 1),
            seed: configuration.seed, path: checkpoint.path)
        try model.loadState(checkpoint.model, path: checkpoint.path)
        // Checkpoints written before preprocessing was recorded: rebuild it from the configuration.
        var preprocessing =
            try TrainingCheckpoint.preprocessing(of: checkpoint.manifest, path: checkpoint.path)
            ?? TrainingRun.preprocessing(configuration)
        preprocessing.classNames = classNames
        preprocessing.sampleShape = sampleShape
        if sampleShape.count == 3 { preprocessing.size = [sampleShape[2], sampleShape[1]] }
        return TrainedModel(configuration: configuration, model: model, preprocessing: preprocessing, checkpoint: checkpoint)
    }

    /// Data to evaluate on (an image class folder or a CSV file), read as the model was trained:
    /// the same preprocessing (channels, size, normalisation, class mapping).
    /// Data of another kind or sample shape than the model's is refused before any step.
    public func evaluationData(_ path: String) throws -> DataSource {
        try checkKind(of: path)
        let source = try TrainingData.source(path: path, preprocessing: readingPreprocessing)
        try checkShape(source.sampleShape, of: path)
        return source
    }

    /// The samples of one file to predict on, prepared as in training: a PNG or JPEG image as a batch of
    /// one, or every row of a CSV file; with each row's origin (`file` or `file:line`). For a
    /// regression the rows hold the features alone: the target columns may be missing from the
    /// file (what a user has at prediction time) or present (they are not read).
    /// Data of another kind or sample shape than the model's is refused before the model runs.
    public func predictionInputs(_ path: String) throws -> (features: Tensor, origins: [String]) {
        try checkKind(of: path)
        if regression != nil, !ImageFileFormat.isImageName(path) { return try regressionPredictionInputs(path) }
        if ImageFileFormat.isImageName(path) {
            let features = try ImageFolder.sample(file: path, options: TrainingData.imageOptions(readingPreprocessing))
            try checkShape(features.shape, of: path)
            return (features.reshaped(to: [1] + features.shape), [path])
        }
        guard case .chunked(let table) = try TrainingData.source(path: path, preprocessing: readingPreprocessing) else {
            throw DataError(.invalidOption, path: path, reason: "not an image (.png, .jpg, .jpeg) or CSV file", fix: "give image or .csv files")
        }
        try checkShape(table.sampleShape, of: path)
        return try TrainedModel.rows(of: table)
    }

    /// Every row of `table` and its origin (`file:line`).
    static func rows(of table: any ChunkedDataset) throws -> (features: Tensor, origins: [String]) {
        var rows: [Float] = []
        var origins: [String] = []
        var count = 0
        for index in 0..<table.chunkCount {
            let chunk = try table.loadChunk(at: index)
            chunk.features.withUnsafeBufferPointer { rows.append(contentsOf: $0) }
            origins += (0..<chunk.count).map { chunk.origin(ofRow: $0).description }
            count += chunk.count
        }
        return (Tensor(shape: [count] + table.sampleShape, scalars: rows), origins)
    }

    /// The class probabilities (softmax of the outputs) for a batch of samples `[count,
    /// ...sampleShape]`. Samples of another shape are a `LayerShapeError` naming the first layer
    /// that cannot take them, its input shape and the samples' shape (`Layer.checkedOutput`).
    public func probabilities(_ features: Tensor) throws(LayerShapeError) -> Tensor {
        let output = try model.checkedOutput(for: features)
        if output.shape.last == 1 { return output }
        return Softmax()(output)
    }

    static func encodeClassNames(_ names: [String]) -> String {
        (try? JSONSerialization.data(withJSONObject: names)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func decodeClassNames(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] ?? []
    }
}
