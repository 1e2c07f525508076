import DataPipeline
import Tensors

/// How a step's global batch is cut: its chunk plan, this rank's claims (each runs as one unit:
/// a batch of its consecutive chunks) and where their rows lie.
package struct StepLayout {
    package let plan: ChunkPlan
    /// This rank's claims of the plan's `ChunkTree`, left to right (none for a rank without chunks).
    package let claims: [ChunkTree.Node]
    /// The rows of each claim and of its chunks.
    package let split: UnitSplit

    /// The layout of `plan` for `rank`, whose slice of the global batch is `batch`.
    package init(plan: ChunkPlan, rank: Int, batch: Batch) {
        self.plan = plan
        let tree = ChunkTree(chunkCount: plan.chunkCount)
        claims = tree.claims(owning: plan.chunks(ofRank: rank))
        split = UnitSplit(plan: plan, chunks: claims.map { tree.chunks(under: $0) }, batch: batch)
    }

    /// The plan's chunk tree.
    package var tree: ChunkTree { ChunkTree(chunkCount: plan.chunkCount) }
}

/// This rank's units of a step (runs of consecutive chunks) and where their rows lie: chunks are
/// positions of the global batch, so where bad samples were left out a chunk has fewer rows (or none).
package struct UnitSplit {
    /// Each unit's chunks (global chunk numbers), in order; together this rank's chunks.
    package let chunks: [Range<Int>]
    /// Each unit's rows within this rank's slice.
    package let rows: [Range<Int>]
    /// Each unit's chunks as row ranges of the unit's tensors.
    package let chunkRows: [[Range<Int>]]

    package init(plan: ChunkPlan, chunks: [Range<Int>], batch: Batch) {
        self.chunks = chunks
        // The first row at or after a global position: rows are positions sliceStart... in order,
        // or the kept positions.
        func row(atPosition position: Int) -> Int {
            guard let kept = batch.keptPositions else { return min(max(position - batch.sliceStart, 0), batch.count) }
            var (low, high) = (0, kept.count)
            while low < high {
                let middle = (low + high) / 2
                if kept[middle] < position { low = middle + 1 } else { high = middle }
            }
            return low
        }
        rows = chunks.map { run in
            let samples = plan.samples(ofChunks: run)
            return row(atPosition: samples.lowerBound)..<row(atPosition: samples.upperBound)
        }
        chunkRows = zip(chunks, rows).map { run, unitRows in
            run.map { chunk in
                let samples = plan.samples(ofChunk: chunk)
                return (row(atPosition: samples.lowerBound) - unitRows.lowerBound)..<(row(atPosition: samples.upperBound) - unitRows.lowerBound)
            }
        }
    }
}
