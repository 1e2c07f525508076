import Tensors

/// What a forward pass needs besides its input: the training/inference switch and, in
/// training, the generator that stochastic layers (dropout) draw from.
///
/// The training loop creates one per step from (seed, step), so stochastic layers are
/// reproducible; it lives on the training thread and is never shared across queues.
public final class ForwardContext {
    /// True while training (dropout active, batch statistics); false for inference.
    public let isTraining: Bool
    /// The generator for stochastic layers; layers draw from it in forward order.
    public var generator: RandomGenerator
    /// Whether the pullback must return the gradient with respect to the layer's input. The
    /// training step turns it off for the data (nothing uses that gradient), and `Sequential`
    /// turns it on for every layer after the first. When false, a pullback may return an empty
    /// tensor instead of computing the input gradient.
    public var requiresInputGradient = true

    /// Creates a context.
    public init(isTraining: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }
}
