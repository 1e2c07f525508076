import Layers
import Tensors

/// Softmax cross-entropy: one output per class.
public struct CrossEntropyLabelLoss: LabelLossFunction {
    /// The loss it applies (with its label smoothing).
    public let crossEntropy: SoftmaxCrossEntropy

    /// Creates the loss (label smoothing: `SoftmaxCrossEntropy(labelSmoothing:)`).
    public init(_ crossEntropy: SoftmaxCrossEntropy = SoftmaxCrossEntropy()) {
        self.crossEntropy = crossEntropy
    }

    /// Softmax cross-entropy averaged over the batch.
    public func evaluate(_ output: Tensor, labels: [Int]) -> (value: Float, gradient: Tensor) {
        crossEntropy.evaluate(output, target: labels)
    }

    /// One output per class, at least two.
    public func outputWidthProblem(width: Int, classes: Int) -> String? {
        width == max(classes, 2) ? nil : "cross-entropy needs one output per class (\(max(classes, 2)))"
    }

    /// `width`: one logit per class.
    public func labelLimit(outputWidth width: Int) -> Int { width }
}

/// A squared error against the label (one output) or its one-hot encoding (one output per class).
public struct SquaredErrorLabelLoss: LabelLossFunction {
    /// Whether to halve and average over the batch (`mse`) instead of summing (`sum-of-squares`).
    public let averaged: Bool

    /// Creates the loss.
    public init(averaged: Bool) {
        self.averaged = averaged
    }

    /// The squared error against the label or its one-hot encoding.
    public func evaluate(_ output: Tensor, labels: [Int]) -> (value: Float, gradient: Tensor) {
        let width = output.shape.last ?? 1
        let target = Tensor(
            shape: output.shape,
            generating: { index in
                let (row, column) = (index / width, index % width)
                return width == 1 ? Float(labels[row]) : (labels[row] == column ? 1 : 0)
            })
        return averaged ? MeanSquaredError().evaluate(output, target: target) : SumOfSquares().evaluate(output, target: target)
    }

    /// One output per class, or a single output for two classes.
    public func outputWidthProblem(width: Int, classes: Int) -> String? {
        width == classes || (width == 1 && classes <= 2)
            ? nil : "a squared error needs one output per class (\(classes))\(classes <= 2 ? " or a single output" : "")"
    }
}

/// The losses pipeline files can name in `loss` (built-in for class labels: `cross-entropy`,
/// `sum-of-squares`, `mse`; for `target_columns`: the regression losses and
/// `binary-cross-entropy-with-logits`). Thread-safe.
public enum LossRegistry {
    /// Makes the loss function.
    public typealias Make = @Sendable () -> any LabelLossFunction

    static let table = NameRegistry<Make>(
        [
            "cross-entropy": { CrossEntropyLabelLoss() },
            "sum-of-squares": { SquaredErrorLabelLoss(averaged: false) },
            "mse": { SquaredErrorLabelLoss(averaged: true) },
            // Regression (`target_columns`; RegressionLoss.swift): PyTorch's MSELoss, L1Loss, HuberLoss.
            "mean-squared-error": { MeanSquaredErrorLoss() },
            "mean-absolute-error": { MeanAbsoluteErrorLoss() },
            "huber": { HuberLoss() },
            // Multi-label (0/1 `target_columns`; BinaryCrossEntropyLoss.swift): PyTorch's BCEWithLogitsLoss.
            "binary-cross-entropy-with-logits": { BinaryCrossEntropyWithLogitsLoss() },
        ], registrar: "LossRegistry")

    /// Makes `name` a loss.
    public static func register(_ name: String, _ make: @escaping Make) {
        table.register(name, make)
    }

    /// The registered names, sorted.
    public static var names: [String] { table.names }

    /// The loss called `name`, or nil.
    public static func loss(named name: String) -> LabelLoss? {
        table.entry(named: name).map { LabelLoss(kind: name, function: $0()) }
    }
}
