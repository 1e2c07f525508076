/// What to do with the samples of an epoch that do not fill a whole batch.
public enum RemainderPolicy: String, Codable, Sendable {
    /// Leave them out (every batch is full).
    case drop
    /// Keep them: a short last batch.
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
    /// How a random-access dataset is shuffled: one permutation of the epoch, or page-aware
    /// windows (only for a dataset with a `StorageLayout`). Chunked data is shuffled within
    /// windows of chunks (`windowChunks`) and takes `.shuffle` only.
    public var order = SampleOrder.shuffle
    /// The last short batch of an epoch: dropped or kept.
    public var batchRemainder = RemainderPolicy.keep
    /// Data parallelism over each global batch (nil: this process reads whole batches): the one
    /// way to share the data among ranks. Each rank reads its chunks of every global batch of
    /// `batchSize` samples, so the ranks' batches, and their states, are one process's.
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

extension PipelineConfiguration {
    /// Replaced by `slicing`: ranks no longer read interleaved shares of the epoch.
    @available(*, unavailable, message: "share the data among ranks with `slicing` (BatchSlicing): each rank reads its chunks of every global batch")
    public var rank: Int {
        get { 0 }
        set {}
    }

    /// Replaced by `slicing`: ranks no longer read interleaved shares of the epoch.
    @available(*, unavailable, message: "share the data among ranks with `slicing` (BatchSlicing): each rank reads its chunks of every global batch")
    public var worldSize: Int {
        get { 1 }
        set {}
    }

    /// Replaced by `slicing` and `batchRemainder`: every rank reads its chunks of the same global
    /// batches.
    @available(*, unavailable, message: "with `slicing` every rank reads its chunks of the same global batches; batchRemainder decides the last")
    public var shardRemainder: RemainderPolicy {
        get { .keep }
        set {}
    }
}
