import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Softmax followed by cross-entropy, fused for numerical stability (PyTorch's
/// `CrossEntropyLoss`): logits `[batch, classes]` in, the mean over the batch out. With
/// `labelSmoothing` ε (PyTorch's `label_smoothing`), a row's loss against class indices is
/// `(1 - ε) * -log p[label] + ε * mean over the classes of -log p`: the cross-entropy against
/// the target `(1 - ε) * onehot + ε / classes`.
public struct SoftmaxCrossEntropy: Loss, Sendable {
    /// Class indices, one per row of the logits.
    public typealias Target = [Int]

    /// The share of each target spread evenly over the classes (0: plain one-hot targets).
    public let labelSmoothing: Float

    /// Creates the loss.
    public init() {
        labelSmoothing = 0
    }

    /// Creates the loss with label smoothing; a value outside [0, 1] throws an error naming it.
    public init(labelSmoothing: Float) throws(ArgumentError) {
        guard (0...1).contains(labelSmoothing) else {
            throw ArgumentError(
                call: "SoftmaxCrossEntropy(labelSmoothing:)", argument: "labelSmoothing", reason: "is \(labelSmoothing), not in [0, 1]",
                fix: "give the share of the target spread over the classes, such as 0.1 (0 for none)")
        }
        self.labelSmoothing = labelSmoothing
    }

    /// The loss against class indices (each in `0..<classes`); gradient `(softmax - target) / batch`
    /// for the (smoothed) one-hot target.
    public func evaluate(_ logits: Tensor, target labels: [Int]) -> (value: Float, gradient: Tensor) {
        let classes = logits.shape.last ?? 0
        precondition(logits.rank == 2 && labels.count == logits.shape[0], "SoftmaxCrossEntropy: \(labels.count) labels for logits \(logits.shape)")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "SoftmaxCrossEntropy: a label is outside 0..<\(classes)")
        guard labelSmoothing > 0 else { return evaluate(logits, targetAt: { row, column in labels[row] == column ? 1 : 0 }) }
        let spread = labelSmoothing / Float(classes)
        let kept = 1 - labelSmoothing + spread
        return evaluate(logits, targetAt: { row, column in labels[row] == column ? kept : spread })
    }

    /// The loss against target probabilities of the same shape as the logits (one-hot or soft).
    public func evaluate(_ logits: Tensor, probabilities: Tensor) -> (value: Float, gradient: Tensor) {
        precondition(
            logits.rank == 2 && probabilities.shape == logits.shape, "SoftmaxCrossEntropy: target \(probabilities.shape) for logits \(logits.shape)")
        let width = logits.shape[1]
        return probabilities.withUnsafeBufferPointer { p in
            evaluate(logits, targetAt: { row, column in p[row * width + column] })
        }
    }

    private func evaluate(_ logits: Tensor, targetAt target: (Int, Int) -> Float) -> (value: Float, gradient: Tensor) {
        let batch = logits.shape[0]
        let width = logits.shape[1]
        let logProbabilities = RowSoftmax.logSoftmax(logits)
        var total = 0.0
        let scale = 1 / Float(Swift.max(batch, 1))
        let gradient = Tensor(
            shape: logits.shape,
            unsafeUninitialized: { out in
                logProbabilities.withUnsafeBufferPointer { logP in
                    for row in 0..<batch {
                        for column in 0..<width {
                            let index = row * width + column
                            let t = target(row, column)
                            if t != 0 { total -= Double(t) * Double(logP[index]) }
                            out[index] = (expf(logP[index]) - t) * scale
                        }
                    }
                }
            })
        return (Float(total / Double(Swift.max(batch, 1))), gradient)
    }
}
