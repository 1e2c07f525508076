import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Softmax followed by cross-entropy, fused for numerical stability (PyTorch's
/// `CrossEntropyLoss`): logits `[batch, classes]` in, the mean over the batch out.
public struct SoftmaxCrossEntropy: Loss {
    /// Class indices, one per row of the logits.
    public typealias Target = [Int]

    /// Creates the loss.
    public init() {}

    /// The loss against class indices (each in `0..<classes`); gradient `(softmax - onehot) / batch`.
    public func evaluate(_ logits: Tensor, target labels: [Int]) -> (value: Float, gradient: Tensor) {
        let classes = logits.shape.last ?? 0
        precondition(logits.rank == 2 && labels.count == logits.shape[0], "SoftmaxCrossEntropy: \(labels.count) labels for logits \(logits.shape)")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "SoftmaxCrossEntropy: a label is outside 0..<\(classes)")
        return evaluate(logits, targetAt: { row, column in labels[row] == column ? 1 : 0 })
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
