/// Command-line overrides of a run's configuration.
public struct TrainingOverrides: Sendable {
    /// The training data.
    public var data: String?
    /// The validation data.
    public var validation: String?
    /// Epochs.
    public var epochs: Int?
    /// Batch size.
    public var batchSize: Int?
    /// Learning rate.
    public var learningRate: Float?
    /// Seed.
    public var seed: UInt64?
    /// Decode and compute threads.
    public var threads: Int?
    /// Checkpoint directory.
    public var checkpointDirectory: String?
    /// Checkpoint interval in steps.
    public var checkpointEvery: Int?
    /// Run directory.
    public var runDirectory: String?
    /// Continue from the newest good checkpoint.
    public var resume = false
    /// Move an earlier run's checkpoints aside (never deleted) and train from the beginning.
    public var restart = false
    /// Where packed data is staged.
    public var cacheDirectory: String?
    /// The staging cache's disk budget in bytes.
    public var cacheBudget: Int?
    /// Seconds an HTTP transfer of packed data may receive nothing (nil: 30).
    public var stallTimeout: Double?
    /// Samples per gradient chunk (nil: the resumed checkpoint's, else `DataParallel.defaultChunkSize`).
    public var gradientChunk: Int?
    /// Sum gradients with MPI_Allreduce: faster on many ranks, but the bits depend on the rank count.
    public var allReduce = false
    /// Start each layer's gradient exchange during the backward pass (false: all after it).
    public var overlapExchange = true
    /// No warnings from ranks other than 0 (rank 0's go through the reporter, quiet or not).
    public var quiet = false
    /// The memory the run may use in bytes (nil: `MemoryAvailable.current()`).
    public var memoryLimit: Int?

    /// How messages name what the user can change (`Fit`'s code form sets `.code`).
    public var advice = RunAdvice.commandLine
    /// No overrides.
    public init() {}
}
