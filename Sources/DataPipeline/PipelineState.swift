/// Where a pipeline is: everything needed to continue the batch stream exactly, and nothing
/// that grows with the dataset, the window or the prefetch depth. Codable, a few hundred bytes.
public struct PipelineState: Codable, Sendable, Equatable, Hashable {
    /// The format version of this state.
    public var version = 1
    /// The seed of every order and augmentation.
    public var seed: UInt64
    /// The epoch of the next batch.
    public var epoch: Int
    /// The position, in this rank's sequence of the epoch, of the next sample.
    public var position: Int
    /// The number of samples in the dataset (checked on resume).
    public var datasetCount: Int
    /// The batch size the position was counted with.
    public var batchSize: Int
    /// This consumer's rank and the number of consumers.
    public var rank: Int
    /// The number of consumers.
    public var worldSize: Int

    /// Creates a state.
    public init(seed: UInt64, epoch: Int = 0, position: Int = 0, datasetCount: Int, batchSize: Int, rank: Int = 0, worldSize: Int = 1) {
        self.seed = seed
        self.epoch = epoch
        self.position = position
        self.datasetCount = datasetCount
        self.batchSize = batchSize
        self.rank = rank
        self.worldSize = worldSize
    }
}
