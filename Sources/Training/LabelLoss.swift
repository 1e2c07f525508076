import Layers
import Tensors

/// A loss against class labels, as pipeline files name them (`LossRegistry`): softmax
/// cross-entropy, or a squared error against the label itself (one output unit) or its one-hot
/// encoding (one unit per class).
public struct LabelLoss: ClassificationLoss {
    /// Class indices.
    public typealias Target = [Int]

    /// The registered name (`cross-entropy`, `sum-of-squares`, `mse`).
    public let kind: String
    /// The function.
    public let function: any LabelLossFunction

    /// Creates the loss.
    public init(kind: String, function: any LabelLossFunction) {
        self.kind = kind
        self.function = function
    }

    /// The value and gradient for the labels.
    public func evaluate(_ output: Tensor, target labels: [Int]) -> (value: Float, gradient: Tensor) {
        function.evaluate(output, labels: labels)
    }

    /// The predicted class of each row.
    public func predictions(_ output: Tensor) -> [Int] {
        function.predictions(output)
    }

    /// The function's limit.
    public func labelLimit(outputWidth width: Int) -> Int {
        function.labelLimit(outputWidth: width)
    }
}

/// A loss of a network's output rows against class labels.
public protocol LabelLossFunction: Sendable {
    /// The value and `∂loss/∂output` for output `[batch, width]`.
    func evaluate(_ output: Tensor, labels: [Int]) -> (value: Float, gradient: Tensor)

    /// The predicted class of each row (default: the largest output; the rounded single output
    /// when there is one).
    func predictions(_ output: Tensor) -> [Int]

    /// Nil when output rows of `width` fit `classes` classes, else what width is needed.
    func outputWidthProblem(width: Int, classes: Int) -> String?

    /// How many classes rows of `width` outputs can be scored against (default `max(width, 2)`:
    /// a single output scores two classes).
    func labelLimit(outputWidth width: Int) -> Int
}

extension LabelLossFunction {
    /// `max(width, 2)`.
    public func labelLimit(outputWidth width: Int) -> Int { max(width, 2) }

    /// The largest output, or the rounded single output.
    public func predictions(_ output: Tensor) -> [Int] {
        (output.shape.last ?? 1) == 1 ? output.withUnsafeBufferPointer { $0.map { $0 >= 0.5 ? 1 : 0 } } : output.argmax(alongAxis: -1)
    }
}

extension SoftmaxCrossEntropy: ClassificationLoss {
    /// The class with the largest output of each row.
    public func predictions(_ output: Tensor) -> [Int] { output.argmax(alongAxis: -1) }

    /// `width`: one logit per class.
    public func labelLimit(outputWidth width: Int) -> Int { width }
}
