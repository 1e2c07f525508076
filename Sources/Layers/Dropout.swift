import Tensors

/// Zeroes each element with probability `probability` while training and scales the survivors
/// by `1 / (1 - probability)`; the identity in inference. The mask is drawn from the forward
/// context's generator, which the training loop derives from (seed, step).
public final class Dropout: Layer {
    /// The probability of zeroing an element.
    public let probability: Float

    /// Creates the layer.
    public init(probability: Float) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1)")
        self.probability = probability
    }

    /// Applies the random mask in training.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        guard context.isTraining && probability > 0 else { return (input, { $0 }) }
        let scale = 1 / (1 - probability)
        let mask = Tensor(
            shape: input.shape,
            unsafeUninitialized: { m in
                for index in 0..<m.count { m[index] = context.generator.nextUnitFloat() < probability ? 0 : scale }
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
