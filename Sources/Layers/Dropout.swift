import Tensors

/// Zeroes each element with probability `probability` while training and scales the survivors
/// by `1 / (1 - probability)`; the identity in inference. The mask is drawn from the forward
/// context's generator, which the training loop derives from (seed, step), or, in a chunked
/// step, each gradient chunk's from its own generator (seed, step, chunk).
public final class Dropout: Layer {
    /// The probability of zeroing an element.
    public let probability: Float

    /// Creates the layer; a `probability` outside [0, 1) throws an error naming it.
    public init(probability: Float) throws(ArgumentError) {
        guard probability >= 0 && probability < 1 else {
            throw ArgumentError(
                call: "Dropout(probability:)", argument: "probability", reason: "is \(probability), outside [0, 1)",
                fix: "give the probability of zeroing an element, such as 0.5")
        }
        self.probability = probability
    }

    /// Applies the random mask in training.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        guard context.isTraining && probability > 0 else { return (input, { $0 }) }
        let scale = 1 / (1 - probability)
        let rows = input.shape.first ?? 0
        let chunks = context.chunkRows == nil ? [] : context.chunks(ofBatch: rows)
        precondition(  // an internal invariant: the step sets one generator per chunk
            chunks.isEmpty || context.chunkGenerators.count == chunks.count,
            "Dropout: \(chunks.count) gradient chunks but \(context.chunkGenerators.count) chunk generators")
        let rowSize = rows > 0 ? input.count / rows : 0
        let mask = Tensor(
            shape: input.shape,
            unsafeUninitialized: { m in
                guard !chunks.isEmpty else {
                    var generator = context.generator
                    for index in 0..<m.count { m[index] = generator.nextUnitFloat() < probability ? 0 : scale }
                    context.generator = generator
                    return
                }
                // Chunk k's elements from chunk k's generator, so a chunk's mask is the same in any batch or slice.
                for (chunk, range) in chunks.enumerated() {
                    var generator = context.chunkGenerators[chunk]
                    for index in (range.lowerBound * rowSize)..<(range.upperBound * rowSize) {
                        m[index] = generator.nextUnitFloat() < probability ? 0 : scale
                    }
                    context.chunkGenerators[chunk] = generator
                }
            })
        return (
            input * mask,
            { gradient in
                var result = consume gradient
                result *= mask  // in place: the incoming gradient is normally held by nobody else
                return result
            }
        )
    }
}
