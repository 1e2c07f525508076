import Tensors

/// A trainable tensor and the gradient accumulated for it by backpropagation.
///
/// A reference type, so that a layer, its pullbacks and an optimizer all see the same value.
/// Parameters stay on the training thread; only snapshots of their values cross queues.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// The gradient accumulated since the last `zeroGradient()`; same shape as `value`.
    public var gradient: Tensor

    /// Creates a parameter with the given initial value and a zero gradient.
    public init(_ value: Tensor) {
        self.value = value
        self.gradient = Tensor(shape: value.shape, repeating: 0)
    }

    /// Resets the accumulated gradient to zero, reusing its storage.
    public func zeroGradient() {
        gradient.fill(with: 0)
    }

    /// Adds `contribution` to the accumulated gradient.
    public func accumulateGradient(_ contribution: Tensor) {
        gradient += contribution
    }
}

/// A non-trainable state tensor of a layer, such as batch normalisation's running mean. Saved
/// and restored by checkpoints; never touched by optimizers.
public final class Buffer {
    /// The current value.
    public var value: Tensor

    /// Creates a buffer.
    public init(_ value: Tensor) {
        self.value = value
    }
}
