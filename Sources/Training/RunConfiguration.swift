import DataPipeline
import Foundation

/// A declarative training run: the dataset, the pipeline, the model, the loss, the optimizer and
/// schedule, epochs, seed, checkpoints and logging. Read from a JSON pipeline file; unknown keys
/// and wrong types are errors that name the key and the file.
public struct RunConfiguration: Codable, Sendable, Equatable {
    /// Where the data comes from.
    public struct Dataset: Codable, Sendable, Equatable {
        /// `image-folder`, `csv` or `xor` (the seed's four XOR points).
        public var kind: String
        /// The folder or file (relative paths are resolved against the working directory).
        public var path: String?
        /// A separate validation folder or file.
        public var validationPath: String?
        /// The fraction held out for validation when there is no validation path.
        public var validationSplit: Double?
        /// Images: `gray`, `rgb` or `rgba`.
        public var channels: String?
        /// Images: a fixed `[width, height]`.
        public var size: [Int]?
        /// Images: `resize` or `center-crop` to reach `size`.
        public var sizing: String?
        /// CSV: the label column's name.
        public var labelColumn: String?
        /// CSV: columns left out of the features.
        public var ignoreColumns: [String]?
        /// CSV: `numeric` (class indices) or `text` (labels by first appearance).
        public var labels: String?
    }

    /// How samples become batches.
    public struct Pipeline: Codable, Sendable, Equatable {
        /// Samples per batch (`0`: the whole training set, for full-batch gradient descent).
        public var batchSize: Int
        /// Whether to shuffle every epoch.
        public var shuffle: Bool?
        /// Decode threads.
        public var threads: Int?
        /// Batches prepared ahead.
        public var prefetch: Int?
        /// Chunks shuffled together (streaming CSV).
        public var windowChunks: Int?
        /// Per-sample transforms: `{"normalize": {"mean": [..], "std": [..]}}`, `{"flip": 0.5}`, `{"crop_padding": 4}`.
        public var augmentations: [Augmentation]?
        /// `fail` or a fraction of samples that may be skipped (for example `0.01`).
        public var skipBadFraction: Double?
    }

    /// One augmentation.
    public struct Augmentation: Codable, Sendable, Equatable {
        /// Normalisation.
        public struct Normalize: Codable, Sendable, Equatable {
            /// Means per channel.
            public var mean: [Float]
            /// Standard deviations per channel.
            public var std: [Float]
        }
        /// `(x - mean) / std` per channel.
        public var normalize: Normalize?
        /// Horizontal flip probability.
        public var flip: Float?
        /// Random crop with this much zero padding.
        public var cropPadding: Int?
    }

    /// One layer: `type` and its settings.
    public struct LayerSpecification: Codable, Sendable, Equatable {
        /// `dense`, `conv2d`, `maxpool`, `avgpool`, `global-avgpool`, `flatten`, `relu`, `sigmoid`, `tanh`, `softmax`, `dropout`, `batchnorm`.
        public var type: String
        /// Dense: output units (omitted on the last layer: the number of classes).
        public var units: Int?
        /// Conv2D: output channels.
        public var filters: Int?
        /// Conv2D and pooling: window size.
        public var kernel: Int?
        /// Conv2D and pooling: step.
        public var stride: Int?
        /// Conv2D: zero padding.
        public var padding: Int?
        /// Dropout: probability.
        public var probability: Float?
        /// Dense: initial weights as rows `[input][output]` (the row-vector convention of the seed's example).
        public var weights: [[Float]]?
        /// Dense: initial bias.
        public var bias: [Float]?
        /// Dense and Conv2D: `default` (PyTorch's), `xavier`, `he`.
        public var initializer: String?
    }

    /// The network.
    public struct Model: Codable, Sendable, Equatable {
        /// The layers, first to last.
        public var layers: [LayerSpecification]
    }

    /// The optimizer.
    public struct Optimizer: Codable, Sendable, Equatable {
        /// `sgd` or `adam`.
        public var type: String
        /// The (initial) learning rate.
        public var learningRate: Float
        /// SGD: momentum.
        public var momentum: Float?
        /// SGD: Nesterov momentum.
        public var nesterov: Bool?
        /// L2 penalty.
        public var weightDecay: Float?
    }

    /// The learning-rate schedule.
    public struct Schedule: Codable, Sendable, Equatable {
        /// `constant`, `step` or `cosine`.
        public var type: String
        /// Step decay: the factor.
        public var factor: Float?
        /// Step decay: steps between decays.
        public var every: Int?
        /// Cosine: the final rate.
        public var minimum: Float?
    }

    /// Checkpointing.
    public struct Checkpoint: Codable, Sendable, Equatable {
        /// The directory.
        public var directory: String?
        /// Save every this many steps.
        public var everySteps: Int?
        /// Save at the end of every this many epochs (default 1) and of the last.
        public var everyEpochs: Int?
        /// Keep the last N.
        public var keepLast: Int?
        /// Keep the best K by the metric.
        public var keepBest: Int?
        /// The metric for "best": `validation_accuracy` (maximised) or `validation_loss` (minimised).
        public var metric: String?
    }

    /// Logging.
    public struct Logging: Codable, Sendable, Equatable {
        /// Where metrics.jsonl, the resolved configuration and TensorBoard events go.
        public var runDirectory: String?
        /// Log a step line every this many steps.
        public var everySteps: Int?
        /// Print the loss every this many steps (the xor-seed loss curve).
        public var printLossEvery: Int?
    }

    /// The run's name.
    public var name: String
    /// The data.
    public var dataset: Dataset
    /// Batching.
    public var pipeline: Pipeline
    /// The network.
    public var model: Model
    /// `cross-entropy`, `sum-of-squares` or `mse` (the ½-mean squared error).
    public var loss: String
    /// The optimizer.
    public var optimizer: Optimizer
    /// The schedule (constant when absent).
    public var schedule: Schedule?
    /// Passes over the training data.
    public var epochs: Int
    /// The seed of everything random.
    public var seed: UInt64
    /// Checkpoints.
    public var checkpoint: Checkpoint?
    /// Logging.
    public var logging: Logging?
}

extension RunConfiguration {
    /// Every key each object may hold, for the unknown-key check.
    static let allowedKeys: [String: Set<String>] = [
        "": ["name", "dataset", "pipeline", "model", "loss", "optimizer", "schedule", "epochs", "seed", "checkpoint", "logging"],
        "dataset": ["kind", "path", "validation_path", "validation_split", "channels", "size", "sizing", "label_column", "ignore_columns", "labels"],
        "pipeline": ["batch_size", "shuffle", "threads", "prefetch", "window_chunks", "augmentations", "skip_bad_fraction"],
        "pipeline.augmentations[]": ["normalize", "flip", "crop_padding"],
        "pipeline.augmentations[].normalize": ["mean", "std"],
        "model": ["layers"],
        "model.layers[]": ["type", "units", "filters", "kernel", "stride", "padding", "probability", "weights", "bias", "initializer"],
        "optimizer": ["type", "learning_rate", "momentum", "nesterov", "weight_decay"],
        "schedule": ["type", "factor", "every", "minimum"],
        "checkpoint": ["directory", "every_steps", "every_epochs", "keep_last", "keep_best", "metric"],
        "logging": ["run_directory", "every_steps", "print_loss_every"],
    ]

    /// Reads and checks a pipeline file.
    public static func load(path: String) throws(RunConfigurationError) -> RunConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RunConfigurationError(path: path, key: nil, reason: "cannot read the file: \(error.localizedDescription)", fix: "check the path")
        }
        return try decode(data, path: path)
    }

    /// Checks and decodes pipeline-file JSON.
    public static func decode(_ data: Data, path: String) throws(RunConfigurationError) -> RunConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw RunConfigurationError(path: path, key: nil, reason: "not valid JSON: \(error.localizedDescription)", fix: "fix the JSON syntax")
        }
        try checkKeys(object, at: "", path: path)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let configuration = try decoder.decode(RunConfiguration.self, from: data)
            try configuration.validate(path: path)
            return configuration
        } catch let error as RunConfigurationError {
            throw error
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            throw RunConfigurationError(path: path, key: keyPath(context.codingPath), reason: "expected \(describe(type))", fix: "give the key a value of that type")
        } catch let DecodingError.keyNotFound(key, context) {
            let parent = keyPath(context.codingPath)
            throw RunConfigurationError(path: path, key: (parent.isEmpty ? "" : parent + ".") + snake(key.stringValue), reason: "required key is missing", fix: "add it")
        } catch {
            throw RunConfigurationError(path: path, key: nil, reason: "\(error)", fix: "check the file against pipelines/README.md")
        }
    }

    private static func checkKeys(_ value: Any, at location: String, path: String) throws(RunConfigurationError) {
        if let dictionary = value as? [String: Any] {
            guard let allowed = allowedKeys[location] else { return }
            for key in dictionary.keys.sorted() {
                let keyLocation = location.isEmpty ? key : "\(location).\(key)"
                guard allowed.contains(key) else {
                    throw RunConfigurationError(path: path, key: keyLocation, reason: "unknown key",
                                                fix: "use one of: \(allowed.sorted().joined(separator: ", "))")
                }
                if let child = dictionary[key] { try checkKeys(child, at: keyLocation, path: path) }
            }
        } else if let array = value as? [Any] {
            for element in array { try checkKeys(element, at: location + "[]", path: path) }
        }
    }

    private func validate(path: String) throws(RunConfigurationError) {
        func fail(_ key: String, _ reason: String, _ fix: String) -> RunConfigurationError {
            RunConfigurationError(path: path, key: key, reason: reason, fix: fix)
        }
        guard ["image-folder", "csv", "xor"].contains(dataset.kind) else { throw fail("dataset.kind", "unknown kind '\(dataset.kind)'", "use image-folder, csv or xor") }
        guard dataset.kind == "xor" || dataset.path != nil else { throw fail("dataset.path", "a path is required for \(dataset.kind)", "give the data's path") }
        guard epochs > 0 else { throw fail("epochs", "must be positive", "use 1 or more") }
        guard pipeline.batchSize >= 0 else { throw fail("pipeline.batch_size", "must not be negative", "use a positive size, or 0 for the whole set") }
        guard ["cross-entropy", "sum-of-squares", "mse"].contains(loss) else { throw fail("loss", "unknown loss '\(loss)'", "use cross-entropy, sum-of-squares or mse") }
        guard ["sgd", "adam"].contains(optimizer.type) else { throw fail("optimizer.type", "unknown optimizer '\(optimizer.type)'", "use sgd or adam") }
        guard optimizer.learningRate > 0 else { throw fail("optimizer.learning_rate", "must be positive", "use a positive rate") }
        if let schedule, !["constant", "step", "cosine"].contains(schedule.type) {
            throw fail("schedule.type", "unknown schedule '\(schedule.type)'", "use constant, step or cosine")
        }
        if let split = dataset.validationSplit, !(0..<1).contains(split) { throw fail("dataset.validation_split", "must be in [0, 1)", "use a fraction such as 0.2") }
        guard !model.layers.isEmpty else { throw fail("model.layers", "no layers", "list at least one layer") }
        let known: Set<String> = ["dense", "conv2d", "maxpool", "avgpool", "global-avgpool", "flatten", "relu", "sigmoid", "tanh", "softmax", "dropout", "batchnorm"]
        for (index, layer) in model.layers.enumerated() where !known.contains(layer.type) {
            throw fail("model.layers[\(index)].type", "unknown layer '\(layer.type)'", "use one of: \(known.sorted().joined(separator: ", "))")
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func snake(_ key: String) -> String {
        key.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)".contains("Array") ? "a list" : "an object"
        }
    }

    /// The configuration as pretty JSON (snake_case keys), as saved in run directories and checkpoints.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A pipeline file that cannot be used: the file, the key, what is wrong and what to do.
public struct RunConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The dotted key (`pipeline.batch_size`), if the problem has one.
    public var key: String?
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String

    /// `file: key 'k': reason; fix`.
    public var description: String {
        "\(path): \(key.map { "key '\($0)': " } ?? "")\(reason); \(fix)"
    }
}
