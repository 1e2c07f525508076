import Layers
import Tensors

/// A loss of a network's output rows against numeric targets (regression), registered in
/// `LossRegistry` beside the label losses. Each is defined as PyTorch's default: the mean over
/// every element of `[rows, targets]` (`reduction="mean"`).
///
/// Names: `mean-squared-error` is `torch.nn.MSELoss()`, `mean(d²)`; the older label loss `mse`
/// is a different thing, half the squared error against a class label or its one-hot encoding
/// (`MeanSquaredError`, averaged over rows), and is kept for classification. `mean-absolute-error`
/// is `torch.nn.L1Loss()` and `huber` is `torch.nn.HuberLoss(delta=1.0)`.
///
/// Multi-label classification takes the same path: `binary-cross-entropy-with-logits`
/// (`BinaryCrossEntropyWithLogitsLoss`) is a loss against target columns too, of `targetKind`
/// `.multiLabel`.
public protocol RegressionLossFunction: LabelLossFunction {
    /// The value and `∂loss/∂output` of output `[rows, count]` against targets of the same shape.
    func evaluate(_ output: Tensor, targets: Tensor) -> (value: Float, gradient: Tensor)

    /// What the target columns hold for this loss (default `.regression`: numbers).
    var targetKind: TargetKind { get }
}

extension RegressionLossFunction {
    /// Numbers: a regression.
    public var targetKind: TargetKind { .regression }

    /// The loss against the labels as numbers (one target): regression losses are meant for
    /// `target_columns`, which the configuration requires.
    public func evaluate(_ output: Tensor, labels: [Int]) -> (value: Float, gradient: Tensor) {
        evaluate(output, targets: Tensor(shape: output.shape, generating: { Float(labels[$0 / max(output.shape.last ?? 1, 1)]) }))
    }

    /// One output per target column (the data's "classes" are its target columns).
    public func outputWidthProblem(width: Int, classes: Int) -> String? {
        width == classes ? nil : "a regression needs one output per target column (\(classes))"
    }

    /// Element-wise: `value = mean(f(x, y))`, `gradient = ∂f/∂x (x, y) / n` for each output `x` and its target `y`.
    func elementwise(
        _ output: Tensor, _ targets: Tensor, _ body: (Float, Float) -> (value: Float, slope: Float)
    ) -> (value: Float, gradient: Tensor) {
        var gradient = Tensor(shape: output.shape)
        let count = output.count
        var total: Double = 0
        output.withUnsafeBufferPointer { out in
            targets.withUnsafeBufferPointer { target in
                gradient.withUnsafeMutableBufferPointer { slopes in
                    for index in 0..<count {
                        let (value, slope) = body(out[index], target[index])
                        total += Double(value)
                        slopes[index] = slope / Float(max(count, 1))
                    }
                }
            }
        }
        return (Float(total / Double(max(count, 1))), gradient)
    }
}

/// `torch.nn.MSELoss()`: `mean((output - target)²)` over every element.
public struct MeanSquaredErrorLoss: RegressionLossFunction {
    /// Creates the loss.
    public init() {}

    /// The mean squared error and its gradient `2d / n`.
    public func evaluate(_ output: Tensor, targets: Tensor) -> (value: Float, gradient: Tensor) {
        elementwise(output, targets) { x, y in
            let d = x - y
            return (d * d, 2 * d)
        }
    }
}

/// `torch.nn.L1Loss()`: `mean(|output - target|)` over every element (gradient `sign(d) / n`,
/// 0 where `d` is 0, as PyTorch's).
public struct MeanAbsoluteErrorLoss: RegressionLossFunction {
    /// Creates the loss.
    public init() {}

    /// The mean absolute error and its gradient.
    public func evaluate(_ output: Tensor, targets: Tensor) -> (value: Float, gradient: Tensor) {
        elementwise(output, targets) { x, y in
            let d = x - y
            return (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0))
        }
    }
}

/// `torch.nn.HuberLoss(delta=delta)`: `½d²` where `|d| < delta`, else `delta (|d| - ½delta)`,
/// averaged over every element.
public struct HuberLoss: RegressionLossFunction {
    /// Where the loss turns from quadratic to linear (PyTorch's default 1).
    public let delta: Float

    /// Creates the loss.
    public init(delta: Float = 1) {
        self.delta = delta
    }

    /// The Huber loss and its gradient (`d`, clipped to `±delta`, over n).
    public func evaluate(_ output: Tensor, targets: Tensor) -> (value: Float, gradient: Tensor) {
        let delta = self.delta
        return elementwise(output, targets) { x, y in
            let d = x - y
            return abs(d) < delta ? (0.5 * d * d, d) : (delta * (abs(d) - 0.5 * delta), d > 0 ? delta : -delta)
        }
    }
}

extension LossRegistry {
    /// Whether `name` is a loss for `target_columns`: a regression loss, or
    /// `binary-cross-entropy-with-logits` (multi-label).
    public static func isRegression(_ name: String) -> Bool {
        targetKind(ofLoss: name) != nil
    }

    /// What the target columns hold for the loss called `name` (nil: a loss for class labels, or no loss of that name).
    public static func targetKind(ofLoss name: String) -> TargetKind? {
        (table.entry(named: name)?() as? any RegressionLossFunction)?.targetKind
    }
}
