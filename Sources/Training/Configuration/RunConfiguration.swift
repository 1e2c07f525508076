import Foundation

/// A declarative training run: the dataset, the pipeline, the model, the loss, the optimizer and
/// schedule, epochs, seed, checkpoints and logging. Read from a JSON pipeline file: every key is
/// a coding key of one of these types and every word a `ConfigurationChoice` or a registered
/// name, so unknown keys, unknown words, wrong types and values out of range are errors naming
/// the key, the file and what is allowed (`RunConfigurationError`).
public struct RunConfiguration: Codable, Sendable, Equatable {
    /// The top-level keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, dataset, pipeline, model, loss, optimizer, schedule, epochs, seed, checkpoint, logging
    }

    /// The run's name.
    public var name: String
    /// The data.
    public var dataset: Dataset
    /// Batching.
    public var pipeline: Pipeline
    /// The network.
    public var model: Model
    /// A registered loss (`LossRegistry`): `cross-entropy`, `sum-of-squares` or `mse` (the ½-mean squared error).
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

    /// Decodes the top-level object (unknown keys and unregistered losses are errors).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        name = try container.decodeValue(String.self, forKey: .name)
        dataset = try container.decodeValue(Dataset.self, forKey: .dataset)
        pipeline = try container.decodeValue(Pipeline.self, forKey: .pipeline)
        model = try container.decodeValue(Model.self, forKey: .model)
        loss = try container.decodeValue(String.self, forKey: .loss)
        do { _ = try LossRegistry.table.entry(named: loss, key: "loss", what: "loss") } catch { throw error.absolute }
        optimizer = try container.decodeValue(Optimizer.self, forKey: .optimizer)
        schedule = try container.decodeValueIfPresent(Schedule.self, forKey: .schedule)
        epochs = try container.decodeValue(Int.self, forKey: .epochs)
        seed = try container.decodeValue(UInt64.self, forKey: .seed)
        checkpoint = try container.decodeValueIfPresent(Checkpoint.self, forKey: .checkpoint)
        logging = try container.decodeValueIfPresent(Logging.self, forKey: .logging)
    }
}
