import Tensors

/// A training objective: a scalar value of a network's output against a target, and its
/// gradient with respect to the output (the seed of backpropagation).
public protocol Loss {
    /// What the output is compared with: a `Tensor` of target values, or class indices.
    associatedtype Target

    /// The loss value (accumulated in double precision) and `∂loss/∂output`.
    func evaluate(_ output: Tensor, target: Target) -> (value: Float, gradient: Tensor)
}

/// Mean squared error in the classic backpropagation form: `½ Σ (target - output)²` summed over
/// the outputs of a sample and averaged over the batch (the first dimension).
public struct MeanSquaredError: Loss {
    /// Creates the loss.
    public init() {}

    /// The value and the gradient `(output - target) / batch`.
    public func evaluate(_ output: Tensor, target: Tensor) -> (value: Float, gradient: Tensor) {
        let batch = Float(Swift.max(output.shape.first ?? 1, 1))
        let (squares, difference) = SquaredDifference.of(output, target)
        return (Float(squares / 2 / Double(batch)), difference * (1 / batch))
    }
}

/// The sum of squared differences over every element: TensorFlow's
/// `reduce_sum(square(target - output))`.
public struct SumOfSquares: Loss {
    /// Creates the loss.
    public init() {}

    /// The value and the gradient `2 (output - target)`.
    public func evaluate(_ output: Tensor, target: Tensor) -> (value: Float, gradient: Tensor) {
        let (squares, difference) = SquaredDifference.of(output, target)
        return (Float(squares), difference * 2)
    }
}

/// The sum of squares of `output - target` (in double precision) and the difference itself.
enum SquaredDifference {
    static func of(_ output: Tensor, _ target: Tensor) -> (Double, Tensor) {
        precondition(output.shape == target.shape, "Loss: output \(output.shape) and target \(target.shape) differ")
        let difference = output - target
        var total = 0.0
        difference.withUnsafeBufferPointer { buffer in
            for value in buffer { total += Double(value) * Double(value) }
        }
        return (total, difference)
    }
}
