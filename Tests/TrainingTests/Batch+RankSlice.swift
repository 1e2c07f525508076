import DataPipeline
import Tensors

extension Batch {
    /// Rank `rank`'s slice of a global batch (`features` rows with their `labels`) dealt in
    /// gradient chunks of `chunkSize` over `rankCount` ranks, as the pipeline slices one.
    static func rankSlice(features: Tensor, labels: [Int], chunkSize: Int, rank: Int, rankCount: Int) -> Batch {
        let plan = ChunkPlan(sampleCount: labels.count, chunkSize: chunkSize, rankCount: rankCount)
        let samples = plan.samples(ofChunks: plan.chunks(ofRank: rank))
        var batch = Batch(features: features.gathering(rows: Array(samples)), labels: Array(labels[samples]))
        batch.globalCount = labels.count
        batch.sliceStart = samples.lowerBound
        return batch
    }
}
