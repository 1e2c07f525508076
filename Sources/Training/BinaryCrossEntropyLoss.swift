import Foundation
import Layers
import Tensors

/// `torch.nn.BCEWithLogitsLoss()` (no `weight`, no `pos_weight`, `reduction="mean"`): the loss
/// of multi-label classification, registered as `binary-cross-entropy-with-logits`. The model's
/// outputs are logits `x`, one per 0/1 target column `y`; the loss is the mean over every element
/// of `[rows, labels]` of `-(y log σ(x) + (1 - y) log(1 - σ(x)))`, computed in the stable form
/// `max(x, 0) - x y + log(1 + exp(-|x|))` (no overflow for any finite `x`), and its gradient is
/// `(σ(x) - y) / n`.
public struct BinaryCrossEntropyWithLogitsLoss: RegressionLossFunction {
    /// Creates the loss.
    public init() {}

    /// 0/1 labels: multi-label classification.
    public var targetKind: TargetKind { .multiLabel }

    /// The mean binary cross-entropy of the logits `output` against the 0/1 `targets`, and its gradient.
    public func evaluate(_ output: Tensor, targets: Tensor) -> (value: Float, gradient: Tensor) {
        elementwise(output, targets) { x, y in
            (max(x, 0) - x * y + log1p(exp(-abs(x))), Sigmoid.logistic(x) - y)
        }
    }

    /// One output (a logit) per target column.
    public func outputWidthProblem(width: Int, classes: Int) -> String? {
        width == classes ? nil : "multi-label classification needs one output (a logit) per target column (\(classes))"
    }
}
