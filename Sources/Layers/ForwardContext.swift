import Tensors

/// What a forward pass needs besides its input: the training/inference switch and, in
/// training, the generator that stochastic layers (dropout) draw from.
///
/// The training loop creates one per step from (seed, step), so stochastic layers are
/// reproducible; it lives on the training thread and is never shared across queues.
public final class ForwardContext {
    /// True while training (dropout active, batch statistics); false for inference.
    public let isTraining: Bool
    /// The generator for stochastic layers; layers draw from it in forward order. In a chunked
    /// training step, layers that keep to chunks draw from `chunkGenerators` instead (this one is
    /// then per unit of chunks, so its draws depend on how the batch is dealt to ranks).
    public var generator: RandomGenerator
    /// Whether the pullback must return the gradient with respect to the layer's input. The
    /// training step turns it off for the data (nothing uses that gradient), and `Sequential`
    /// turns it on for every layer after the first. When false, a pullback may return an empty
    /// tensor instead of computing the input gradient.
    public var requiresInputGradient = true
    /// The gradient chunks of a training step as row ranges of the input (consecutive, covering
    /// it; some may be empty, where bad samples were left out), or nil (the batch is one chunk).
    /// Set, layers keep to the chunks: a row's output and input gradient come from its chunk
    /// alone, never from the batch's size; parameter gradients are summed per chunk and then up the
    /// fixed `ChunkTree` (`Tensor.addChunkedProducts`); stochastic layers draw chunk `k`'s
    /// randomness from `chunkGenerators[k]`. So any slice of whole chunks (one rank's share of a
    /// global batch) computes the same bits for its chunks as the whole batch does.
    public var chunkRows: [Range<Int>]?
    /// One generator per chunk of the input, in order, in a chunked step (layers advance them).
    public var chunkGenerators: [RandomGenerator] = []

    /// Creates a context.
    public init(isTraining: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }

    /// The row ranges of the chunks of a batch of `rows` rows: `chunkRows`, or one chunk.
    public func chunks(ofBatch rows: Int) -> [Range<Int>] {
        guard let chunkRows else { return [0..<rows] }
        precondition((chunkRows.last?.upperBound ?? 0) == rows, "ForwardContext: chunk rows \(chunkRows.prefix(4))... for \(rows) rows")
        return chunkRows
    }
}
