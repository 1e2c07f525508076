/// The order of a chunked dataset's samples: each epoch a seeded order of the chunks (file order
/// for data that is cheap only in file order, such as gzip), cut into windows of `windowChunks`
/// consecutive chunks, whose samples are shuffled together. Like `Sampler`, it is a pure function
/// of (seed, epoch, position): a pipeline resumes at any position without reading a chunk.
public struct WindowedChunkSampler: Sendable {
    /// The samples in each chunk.
    public let chunkCounts: [Int]
    /// Chunks shuffled together.
    public let windowChunks: Int
    /// The seed.
    public let seed: UInt64
    /// Whether to shuffle at all.
    public let shuffle: Bool
    /// Whether chunks keep file order (only samples within a window are shuffled).
    public let sequentialChunks: Bool

    /// Creates the order.
    public init(chunkCounts: [Int], windowChunks: Int, seed: UInt64, shuffle: Bool = true, sequentialChunks: Bool = false) {
        self.chunkCounts = chunkCounts
        self.windowChunks = max(windowChunks, 1)
        self.seed = seed
        self.shuffle = shuffle
        self.sequentialChunks = sequentialChunks
    }

    /// Positions per epoch: every sample once.
    public var count: Int { chunkCounts.reduce(0, +) }

    /// The chunk and row at `position` of `epoch` (builds the epoch's plan: for many positions,
    /// the pipeline keeps one plan per epoch).
    public func address(at position: Int, epoch: Int) -> (chunk: Int, row: Int) {
        let address = plan(epoch: epoch).address(of: position)
        return (address.chunk, address.row)
    }

    /// The chunks of each window of `epoch`, in the order they are read.
    public func windows(epoch: Int) -> [[Int]] { plan(epoch: epoch).windows.map(\.chunks) }

    /// The epoch's plan.
    func plan(epoch: Int) -> WindowPlan {
        WindowPlan(
            chunkCounts: chunkCounts, windowChunks: windowChunks, seed: seed, epoch: epoch, shuffle: shuffle,
            sequentialChunks: sequentialChunks)
    }
}
