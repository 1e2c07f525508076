import Layers
import Tensors

/// A loss against class labels: softmax cross-entropy, or a squared error against the label
/// itself (one output unit) or its one-hot encoding (one unit per class).
public struct LabelLoss: ClassificationLoss {
    /// Class indices.
    public typealias Target = [Int]

    /// `cross-entropy`, `sum-of-squares` or `mse`.
    public let kind: String

    /// Creates the loss.
    public init(kind: String) {
        self.kind = kind
    }

    /// The value and gradient for the labels.
    public func evaluate(_ output: Tensor, target labels: [Int]) -> (value: Float, gradient: Tensor) {
        if kind == "cross-entropy" { return SoftmaxCrossEntropy().evaluate(output, target: labels) }
        let width = output.shape.last ?? 1
        let target = Tensor(shape: output.shape, generating: { index in
            let (row, column) = (index / width, index % width)
            return width == 1 ? Float(labels[row]) : (labels[row] == column ? 1 : 0)
        })
        return kind == "mse" ? MeanSquaredError().evaluate(output, target: target) : SumOfSquares().evaluate(output, target: target)
    }

    /// The predicted class of each row: the largest output, or the rounded single output.
    public func predictions(_ output: Tensor) -> [Int] {
        (output.shape.last ?? 1) == 1 ? output.scalars.map { $0 >= 0.5 ? 1 : 0 } : output.argmax(alongAxis: -1)
    }
}

extension SoftmaxCrossEntropy: ClassificationLoss {
    /// The class with the largest output of each row.
    public func predictions(_ output: Tensor) -> [Int] { output.argmax(alongAxis: -1) }
}
