import Checkpoints
import DataPipeline
import Foundation
import Layers
import Tensors

/// A model rebuilt from a checkpoint: its configuration (saved in the manifest), class names,
/// sample shape and weights.
public struct TrainedModel {
    /// The run's configuration.
    public var configuration: RunConfiguration
    /// The network with the checkpoint's weights.
    public var model: Sequential
    /// The class names, in class-index order.
    public var classNames: [String]
    /// The shape of one sample.
    public var sampleShape: [Int]
    /// The checkpoint.
    public var checkpoint: LoadedCheckpoint

    /// Loads a checkpoint directory (`step-…`) or the newest good checkpoint of a store.
    public static func load(_ path: String) throws -> TrainedModel {
        let checkpoint: LoadedCheckpoint
        if FileManager.default.fileExists(atPath: "\(path)/manifest.json") {
            checkpoint = try CheckpointStore.load(checkpoint: path)
        } else {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CheckpointError(.notFound, path: path, reason: "no such checkpoint or checkpoint directory", fix: "give a run's checkpoints directory or one step-… directory")
            }
            guard let latest = try CheckpointStore(directory: path, mode: .readOnly).loadLatest() else {
                throw CheckpointError(.notFound, path: path, reason: "no loadable checkpoint here", fix: "train first, or give another directory")
            }
            checkpoint = latest
        }
        guard let text = checkpoint.manifest.configuration,
              let shapeText = checkpoint.manifest.hyperparameters["sample_shape"],
              let namesText = checkpoint.manifest.hyperparameters["class_names"] else {
            throw CheckpointError(.incompatible, path: checkpoint.path, reason: "the checkpoint does not record its run configuration",
                                  fix: "use a checkpoint written by millrace train")
        }
        let configuration = try RunConfiguration.decode(Data(text.utf8), path: "\(checkpoint.path)/manifest.json")
        let classNames = decodeClassNames(namesText)
        let sampleShape = shapeText.split(separator: ",").compactMap { Int($0) }
        let model = try ModelBuilder.build(configuration.model.layers, sampleShape: sampleShape, classes: max(classNames.count, 1),
                                           seed: configuration.seed, path: checkpoint.path)
        try model.loadState(checkpoint.model, path: checkpoint.path)
        return TrainedModel(configuration: configuration, model: model, classNames: classNames, sampleShape: sampleShape, checkpoint: checkpoint)
    }

    /// Data to evaluate on (a PNG class folder or a CSV file), read as the model was trained:
    /// the same channels, size and class mapping.
    public func evaluationData(_ path: String) throws -> any BatchSource {
        var dataset = configuration.dataset
        dataset.path = path
        dataset.validationPath = nil
        dataset.validationSplit = nil
        if path.lowercased().hasSuffix(".csv") || path.lowercased().hasSuffix(".csv.gz") {
            return try TrainingData.csv(path, dataset: dataset, classNames: classNames)
        }
        let channels = ChannelMode(rawValue: dataset.channels ?? "rgb") ?? .rgb
        let size = sampleShape.count == 3 ? (width: sampleShape[2], height: sampleShape[1]) : nil
        return try ImageFolder(root: path, options: .init(channels: channels, size: size, sizing: dataset.sizing == "center-crop" ? .centerCrop : .resize,
                                                          classNames: classNames))
    }

    /// The class probabilities (softmax of the outputs) for a batch of samples.
    public func probabilities(_ features: Tensor) -> Tensor {
        let context = ForwardContext(isTraining: false)
        context.requiresInputGradient = false
        let output = model.forward(features, context: context).output
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
