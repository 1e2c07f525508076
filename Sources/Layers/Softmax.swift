import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Row-wise (last-axis) softmax helpers shared by `Softmax`, `LogSoftmax` and the fused
/// cross-entropy loss.
enum RowSoftmax {
    /// `log softmax` along the last axis: `(x - max) - log(sum(exp(x - max)))` per row.
    static func logSoftmax(_ input: Tensor) -> Tensor {
        let width = input.shape.last ?? 1
        return Tensor(
            shape: input.shape,
            unsafeUninitialized: { y in
                input.withUnsafeBufferPointer { x in
                    var start = 0
                    while start < x.count {
                        let row = start..<(start + width)
                        var largest = -Float.infinity
                        for index in row { largest = max(largest, x[index]) }
                        var total: Float = 0
                        for index in row { total += expf(x[index] - largest) }
                        // (x - max) - log Σ, not x - (max + log Σ): the latter rounds away the
                        // low bits when max is large.
                        let logTotal = logf(total)
                        for index in row { y[index] = (x[index] - largest) - logTotal }
                        start += width
                    }
                }
            })
    }

    /// For each row, `combine(row of a, row of b)` gives a value `s`, and the result row is
    /// `transform(aᵢ, bᵢ, s)`.
    static func rowwise(
        _ a: Tensor, _ b: Tensor,
        reduce: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, Range<Int>) -> Float,
        transform: (Float, Float, Float) -> Float
    ) -> Tensor {
        let width = a.shape.last ?? 1
        return Tensor(
            shape: a.shape,
            unsafeUninitialized: { out in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        var start = 0
                        while start < pa.count {
                            let row = start..<(start + width)
                            let s = reduce(pa, pb, row)
                            for index in row { out[index] = transform(pa[index], pb[index], s) }
                            start += width
                        }
                    }
                }
            })
    }
}

/// Softmax along the last axis: `exp(x_i) / sum_j exp(x_j)`, computed stably.
public final class Softmax: Layer {
    /// Creates the layer.
    public init() {}

    /// Applies softmax; the pullback is `y * (g - sum(g * y))` per row.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let output = RowSoftmax.logSoftmax(input).map { expf($0) }
        return (
            output,
            { gradient in
                RowSoftmax.rowwise(
                    gradient, output,
                    reduce: { g, y, row in row.reduce(Float(0)) { $0 + g[$1] * y[$1] } },
                    transform: { g, y, dot in y * (g - dot) })
            }
        )
    }
}

/// Log-softmax along the last axis, computed stably.
public final class LogSoftmax: Layer {
    /// Creates the layer.
    public init() {}

    /// Applies log-softmax; the pullback is `g - softmax * sum(g)` per row.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let output = RowSoftmax.logSoftmax(input)
        return (
            output,
            { gradient in
                RowSoftmax.rowwise(
                    gradient, output,
                    reduce: { g, _, row in row.reduce(Float(0)) { $0 + g[$1] } },
                    transform: { g, y, total in g - expf(y) * total })
            }
        )
    }
}
