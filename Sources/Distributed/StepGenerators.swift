import Tensors

/// The random streams of one training step, one of each per chunk of this rank's units, each a
/// function of (seed, step, chunk) alone: a chunk draws the same bits on any number of ranks and
/// after a resume. Layers advance them in forward order.
package struct StepGenerators {
    /// `ForwardContext.chunkGenerators` (stream `[1, step, chunk]`), for layers that keep to chunks.
    package var chunk: [[RandomGenerator]]
    /// `ForwardContext.generator` (stream `[2, step, chunk]`) of a layer run chunk by chunk
    /// (`ChunkwiseLayer`); a layer run over a whole unit sees its first chunk's.
    package var context: [[RandomGenerator]]

    /// The streams of step `step` of a run seeded with `seed`, for the units of `split`.
    package init(seed: UInt64, step: Int, split: UnitSplit) {
        chunk = split.chunks.map { $0.map { RandomGenerator(seed: seed, stream: [1, UInt64(step), UInt64($0)]) } }
        context = split.chunks.map { $0.map { RandomGenerator(seed: seed, stream: [2, UInt64(step), UInt64($0)]) } }
    }
}
