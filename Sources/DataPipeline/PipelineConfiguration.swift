/// What to do with samples that do not fill a whole share or batch.
public enum RemainderPolicy: String, Codable, Sendable {
    /// Leave them out (every batch is full; every rank gets the same count).
    case drop
    /// Keep them: a short last batch; for sharding, pad by wrapping to the epoch's start so
    /// every rank gets the same count (PyTorch's `DistributedSampler`).
    case keep
}

/// The settings of a batch pipeline.
public struct PipelineConfiguration: Codable, Sendable, Equatable {
    /// The seed of the order, the windows and the augmentations.
    public var seed: UInt64 = 0
    /// Samples per batch.
    public var batchSize = 32
    /// Whether to shuffle (each epoch differently).
    public var shuffle = true
    /// The last short batch of an epoch: dropped or kept.
    public var batchRemainder = RemainderPolicy.keep
    /// This consumer's rank, for sharding.
    public var rank = 0
    /// The number of consumers sharing the data.
    public var worldSize = 1
    /// Samples that do not divide evenly among the ranks: dropped, or padded by wrapping.
    public var shardRemainder = RemainderPolicy.keep
    /// Data parallelism over each global batch (nil: this process reads whole batches).
    public var slicing: BatchSlicing?
    /// Threads decoding samples.
    public var threads = 1
    /// Batches prepared ahead of the consumer.
    public var prefetchDepth = 2
    /// Chunks shuffled together (streaming sources).
    public var windowChunks = 4
    /// The number of epochs to produce, or nil for no end.
    public var epochs: Int?
    /// What to do with samples that cannot be read.
    public var badInput = BadInputPolicy.fail
    /// How long the consumer waits for a batch before failing (nil: no limit).
    public var waitTimeout: Double?

    /// Creates a configuration with the defaults.
    public init() {}
}
