/// How an epoch's samples are split among ranks and batches: pure arithmetic on counts.
struct EpochPlan: Sendable {
    let count: Int
    let batchSize: Int
    let rank: Int
    let worldSize: Int
    let shardRemainder: RemainderPolicy
    let batchRemainder: RemainderPolicy
    /// Data parallelism over each global batch (nil: this process reads whole batches).
    let slicing: BatchSlicing?

    /// Samples in this rank's share of an epoch (equal for every rank).
    var perRank: Int {
        guard count > 0 else { return 0 }
        return shardRemainder == .drop ? count / worldSize : (count + worldSize - 1) / worldSize
    }

    /// Positions of the share that are used (whole batches only when batches drop the remainder).
    var usedPerEpoch: Int {
        batchRemainder == .drop ? perRank / batchSize * batchSize : perRank
    }

    /// Batches per epoch for every rank.
    var batchesPerEpoch: Int {
        batchRemainder == .drop ? perRank / batchSize : (perRank + batchSize - 1) / batchSize
    }

    /// The epoch-order position of this rank's `position`-th sample: ranks interleave, and a
    /// padded share wraps to the start of the epoch's order.
    func orderPosition(_ position: Int) -> Int {
        (position * worldSize + rank) % count
    }

    /// The positions (within a global batch of `globalCount` samples) this process reads: under
    /// data parallelism only this rank's chunks of the global batch, else all of them.
    func slice(ofBatchOf globalCount: Int) -> Range<Int> {
        slicing.map { $0.plan(count: globalCount).samples(ofRank: $0.rank) } ?? 0..<globalCount
    }
}
