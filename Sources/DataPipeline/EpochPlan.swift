/// How an epoch's samples are split into batches, and each batch among ranks: pure arithmetic on
/// counts.
struct EpochPlan: Sendable {
    let count: Int
    let batchSize: Int
    let batchRemainder: RemainderPolicy
    /// Data parallelism over each global batch (nil: this process reads whole batches).
    let slicing: BatchSlicing?

    /// Positions of the epoch that are used (whole batches only when batches drop the remainder).
    var usedPerEpoch: Int {
        batchRemainder == .drop ? count / batchSize * batchSize : count
    }

    /// Batches per epoch (the same on every rank: global batches).
    var batchesPerEpoch: Int {
        batchRemainder == .drop ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The positions (within a global batch of `globalCount` samples) this process reads: under
    /// data parallelism only this rank's chunks of the global batch, else all of them.
    func slice(ofBatchOf globalCount: Int) -> Range<Int> {
        slicing.map { $0.plan(count: globalCount).samples(ofRank: $0.rank) } ?? 0..<globalCount
    }
}
