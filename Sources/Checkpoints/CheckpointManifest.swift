/// A checkpoint's `manifest.json`: everything besides the tensors that resuming needs, and a
/// checksum for every file.
public struct CheckpointManifest: Codable, Sendable, Equatable {
    /// The manifest format this version of Millrace writes.
    public static let currentFormatVersion = 1

    /// One file of the checkpoint.
    public struct FileRecord: Codable, Sendable, Equatable {
        /// Its size in bytes.
        public var bytes: Int
        /// Its CRC32 (zlib's).
        public var crc32: UInt32
    }

    /// The manifest's keys (a key outside them marks a damaged manifest: see `verifySeal`).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case formatVersion, step, epoch, createdAt, pipelineState, preprocessing, generatorState, optimizerStep, metrics
        case hyperparameters, configuration, trainerState, callbackStates, files, manifestCRC32
    }

    /// The manifest's format version.
    public var formatVersion = CheckpointManifest.currentFormatVersion
    /// Optimizer steps completed.
    public var step: Int
    /// The epoch in progress.
    public var epoch: Int
    /// When the checkpoint was taken (seconds since 1970).
    public var createdAt: Double
    /// The data pipeline's position (the pipeline's own Codable state, kept as JSON).
    public var pipelineState: JSONValue?
    /// How samples were prepared for the model (channels, size, normalisation, class names),
    /// kept as JSON so that evaluation and prediction read data exactly as training did.
    public var preprocessing: JSONValue?
    /// A random generator's state words, if the run keeps one.
    public var generatorState: [UInt64]?
    /// The optimizer's step count.
    public var optimizerStep: Int
    /// Metrics at this point (loss, accuracy, ...).
    public var metrics: [String: Double]
    /// Hyperparameters (learning rate, batch size, ...).
    public var hyperparameters: [String: String]
    /// The run's configuration (JSON text), to rebuild the model and pipeline.
    public var configuration: String?
    /// The training loop's own state (the running sums of the epoch in progress), kept as JSON;
    /// nil in older checkpoints.
    public var trainerState: JSONValue?
    /// The states of the run's stateful callbacks (early stopping's best value and patience
    /// count, say) by each callback's key; nil when it had none (and in older checkpoints).
    public var callbackStates: [String: JSONValue]?
    /// The checkpoint's files by name.
    public var files: [String: FileRecord] = [:]
    /// The CRC32 of the manifest's canonical bytes without this field (see `sealed()`); nil in
    /// manifests written before Millrace kept it, which stay loadable.
    public var manifestCRC32: UInt32?

    /// Creates a manifest (the store fills in `files`).
    public init(
        step: Int, epoch: Int, createdAt: Double, pipelineState: JSONValue? = nil, preprocessing: JSONValue? = nil, generatorState: [UInt64]? = nil,
        optimizerStep: Int, metrics: [String: Double] = [:], hyperparameters: [String: String] = [:], configuration: String? = nil,
        trainerState: JSONValue? = nil, callbackStates: [String: JSONValue]? = nil
    ) {
        self.step = step
        self.epoch = epoch
        self.createdAt = createdAt
        self.pipelineState = pipelineState
        self.preprocessing = preprocessing
        self.generatorState = generatorState
        self.optimizerStep = optimizerStep
        self.metrics = metrics
        self.hyperparameters = hyperparameters
        self.configuration = configuration
        self.trainerState = trainerState
        self.callbackStates = callbackStates
    }
}

/// What to save: the manifest's fields and the tensors.
public struct CheckpointContents: Sendable {
    /// The manifest (its `files` are filled in when written).
    public var manifest: CheckpointManifest
    /// Parameters and buffers by dotted name.
    public var model: [NamedTensor]
    /// Optimizer slots as `<parameter>.<slot>`.
    public var optimizer: [NamedTensor]

    /// Creates contents.
    public init(manifest: CheckpointManifest, model: [NamedTensor], optimizer: [NamedTensor]) {
        self.manifest = manifest
        self.model = model
        self.optimizer = optimizer
    }
}

/// A checkpoint read back and verified.
public struct LoadedCheckpoint: Sendable {
    /// Its directory.
    public var path: String
    /// Its manifest.
    public var manifest: CheckpointManifest
    /// Parameters and buffers.
    public var model: [NamedTensor]
    /// Optimizer slots.
    public var optimizer: [NamedTensor]
}
