import Foundation

/// A declarative training run: the dataset, the pipeline, the model, the loss, the optimizer and
/// schedule, epochs, seed, checkpoints and logging. Read from a JSON pipeline file: every key is
/// a `@Setting` of one of these types and every word a `ConfigurationChoice` or a registered
/// name, so unknown keys, unknown words, wrong types and values out of range are errors naming
/// the key, the file and what is allowed (`RunConfigurationError`).
public struct RunConfiguration: KeyedSettings, Equatable {
    /// The run's name (the run directory is `runs/<name>`).
    @Setting("name", .runName) public var name = "run"
    /// The data.
    @Setting("dataset") public var dataset = Dataset()
    /// Batching.
    @Setting("pipeline") public var pipeline = Pipeline()
    /// The network.
    @Setting("model") public var model = Model()
    /// A registered loss (`LossRegistry`): `cross-entropy`, `sum-of-squares` or `mse` (the ½-mean squared error).
    @Setting("loss", .registered(in: LossRegistry.table, "loss")) public var loss = "cross-entropy"
    /// Cross-entropy's label smoothing ε in [0, 1] (none when absent; `RunConfiguration+Recipes`).
    @Setting("label_smoothing", .within(0...1)) public var labelSmoothing: Float? = nil
    /// The optimizer.
    @Setting("optimizer") public var optimizer = Optimizer()
    /// The schedule (constant when absent).
    @Setting("schedule") public var schedule: Schedule? = nil
    /// Passes over the training data.
    @Setting("epochs", .atLeast(1)) public var epochs = 1
    /// The seed of everything random.
    @Setting("seed") public var seed: UInt64 = 0
    /// Checkpoints.
    @Setting("checkpoint") public var checkpoint: Checkpoint? = nil
    /// Logging.
    @Setting("logging") public var logging: Logging? = nil
    /// Early stopping (none when absent).
    @Setting("early_stopping") public var earlyStopping: EarlyStopping? = nil

    /// A configuration to fill in code: every required key has a placeholder (`layers` is empty).
    public init() {}
}
