/// Where a pipeline is: everything needed to continue the batch stream exactly, and nothing
/// that grows with the dataset, the window or the prefetch depth. Codable, a few hundred bytes.
public struct PipelineState: Codable, Sendable, Equatable, Hashable {
    /// The format version of this state.
    public var version = 1
    /// The seed of every order and augmentation.
    public var seed: UInt64
    /// The epoch of the next batch.
    public var epoch: Int
    /// The position, in the epoch's order, of the next sample (of the next global batch's first
    /// sample under data parallelism: the state is the same on every rank).
    public var position: Int
    /// The number of samples in the dataset (checked on resume).
    public var datasetCount: Int
    /// The batch size the position was counted with.
    public var batchSize: Int

    /// Creates a state. (States saved by earlier versions also hold `rank` and `worldSize`, always
    /// 0 and 1 outside tests; decoding ignores them.)
    public init(seed: UInt64, epoch: Int = 0, position: Int = 0, datasetCount: Int, batchSize: Int) {
        self.seed = seed
        self.epoch = epoch
        self.position = position
        self.datasetCount = datasetCount
        self.batchSize = batchSize
    }
}
