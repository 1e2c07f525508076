import Tensors

/// What a forward pass needs besides its input: the training/inference switch and, in
/// training, the generator that stochastic layers (dropout) draw from.
///
/// The training loop sets its generators from (seed, step, gradient chunk) before each forward
/// pass, so stochastic layers are reproducible on any number of ranks and after a resume; it lives
/// on the training thread and is never shared across queues.
public final class ForwardContext {
    /// True while training (dropout active, batch statistics); false for inference.
    public let isTraining: Bool
    /// The generator for stochastic layers; layers draw from it in forward order. In a training
    /// step, a layer that does not keep to gradient chunks runs once per chunk and finds here that
    /// chunk's own generator; layers that keep to chunks draw from `chunkGenerators` instead.
    public var generator: RandomGenerator
    /// Whether the pullback must return the gradient with respect to the layer's input. When
    /// false, a pullback may return an empty tensor instead of computing it. Only a layer that
    /// says so (`Layer.canSkipInputGradient`: `Dense`, `Conv2D`, `Sequential`) is ever called with
    /// it off: callers set it with `requireInputGradient(_:for:)`, which leaves it on for any other
    /// layer. So a custom container, which passes its context on to layers whose input gradients
    /// it uses (a residual block adding its body's to its own), always sees it on, wherever it sits.
    /// The training step asks for no gradient with respect to the data (the first layer's input),
    /// and `Sequential` passes its own request to its first layer and asks every later one for it.
    public var requiresInputGradient = true
    /// The gradient chunks of a training step as row ranges of the input (consecutive, covering
    /// it; some may be empty, where bad samples were left out), or nil (the batch is one chunk).
    /// Only layers that keep to chunks (`Layer.keepsToGradientChunks`) see several: a row's output
    /// and input gradient come from its chunk alone, never from the batch's size; parameter
    /// gradients are summed per chunk and then up the fixed `ChunkTree`
    /// (`Tensor.addChunkedProducts`); stochastic layers draw chunk `k`'s randomness from
    /// `chunkGenerators[k]`. So any slice of whole chunks (one rank's share of a global batch)
    /// computes the same bits for its chunks as the whole batch does. Other layers run once per
    /// chunk and see that one chunk.
    public var chunkRows: [Range<Int>]?
    /// One generator per chunk of the input, in order, in a chunked step (layers advance them).
    public var chunkGenerators: [RandomGenerator] = []
    /// Set by a `BatchNorm` that normalised a training batch of gradient chunks (`chunkRows` set)
    /// with that batch's own statistics: in a training step, one inside a layer the step could not
    /// open (not a `LayerContainer`), which would see a chunk's statistics instead of the global
    /// batch's. The step checks it after each layer and refuses the model.
    public var normalizedWithinChunks = false

    /// Creates a context.
    public init(isTraining: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }

    /// Sets `requiresInputGradient` for a call of `layer`: off only when `required` is false and
    /// the layer can skip its input gradient (`Layer.canSkipInputGradient`).
    public func requireInputGradient(_ required: Bool, for layer: any Layer) {
        requiresInputGradient = required || !layer.canSkipInputGradient
    }

    /// The row ranges of the chunks of a batch of `rows` rows: `chunkRows`, or one chunk.
    public func chunks(ofBatch rows: Int) -> [Range<Int>] {
        guard let chunkRows else { return [0..<rows] }
        precondition((chunkRows.last?.upperBound ?? 0) == rows, "ForwardContext: chunk rows \(chunkRows.prefix(4))... for \(rows) rows")
        return chunkRows
    }
}
