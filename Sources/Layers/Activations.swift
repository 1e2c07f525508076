import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds the forward result and pullback of an element-wise function whose derivative is
/// expressed through the input `x` and output `y`. The pullback scales the incoming gradient in
/// place (copy-on-write copies it only if someone else still holds it), sparing an allocation.
func elementwise(
    _ input: Tensor, _ function: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
) -> (output: Tensor, pullback: Pullback) {
    let output = input.map(function)
    return (
        output,
        { gradient in
            var result = consume gradient
            input.withUnsafeBufferPointer { x in
                output.withUnsafeBufferPointer { y in
                    result.withUnsafeMutableBufferPointer { g in
                        for index in 0..<g.count { g[index] *= derivative(x[index], y[index]) }
                    }
                }
            }
            return result
        }
    )
}

/// Runs `body(range)` over `0..<count` split into fixed slices on the compute threads (for
/// element-wise loops large enough to pay for it).
func parallelSlices(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let slice = 1 << 16
    let slices = (count + slice - 1) / slice
    guard slices > 1 else { return body(0..<count) }
    BatchChunks.run(chunks: slices) { _, index in body((index * slice)..<min(count, (index + 1) * slice)) }
}

/// The logistic function `1 / (1 + exp(-x))`, element-wise.
public final class Sigmoid: Layer {
    /// Creates the layer.
    public init() {}

    /// The numerically stable logistic function of a single value.
    public static func logistic(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    /// Applies the logistic function; its derivative is `y (1 - y)`.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        elementwise(input, Sigmoid.logistic, derivative: { _, y in y * (1 - y) })
    }
}

/// The hyperbolic tangent, element-wise.
public final class Tanh: Layer {
    /// Creates the layer.
    public init() {}

    /// Applies `tanh`; its derivative is `1 - y²`.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        elementwise(input, { tanhf($0) }, derivative: { _, y in 1 - y * y })
    }
}

/// The rectifier `max(0, x)`, element-wise (gradient 0 at 0, as in PyTorch).
public final class ReLU: Layer {
    /// Creates the layer.
    public init() {}

    /// Applies `max(0, x)` (NaN stays NaN); its derivative is 0 where `x <= 0`, else 1.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let output = Tensor(
            shape: input.shape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    let shared = UncheckedSendable((x.baseAddress!, out.baseAddress!))
                    parallelSlices(out.count) { range in
                        let (x, out) = shared.value
                        ReLU.rectify(x, keeping: UnsafePointer(x), into: out, range)
                    }
                }
            })
        return (
            output,
            { gradient in
                var result = consume gradient  // zeroed in place where the input was <= 0 (PyTorch's threshold_backward)
                input.withUnsafeBufferPointer { x in
                    result.withUnsafeMutableBufferPointer { dy in
                        let shared = UncheckedSendable((x.baseAddress!, dy.baseAddress!))
                        parallelSlices(dy.count) { range in
                            let (x, dy) = shared.value
                            ReLU.rectify(x, keeping: UnsafePointer(dy), into: dy, range)
                        }
                    }
                }
                return result
            }
        )
    }

    /// `out[i] = input[i] <= 0 ? 0 : values[i]` over `range`: the forward pass (values = input;
    /// NaN passes through, as in PyTorch) and the pullback (values = gradient, zeroed where the
    /// input was <= 0, as PyTorch's threshold_backward). Eight lanes at a time with selects, since
    /// the compiler turns the scalar select into an unpredictable branch.
    static func rectify(
        _ input: UnsafePointer<Float>, keeping values: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        _ range: Range<Int>
    ) {
        var index = range.lowerBound
        while index + 8 <= range.upperBound {
            var kept = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
            let x = UnsafeRawPointer(input + index).loadUnaligned(as: SIMD8<Float>.self)
            kept.replace(with: 0, where: x .<= 0)
            UnsafeMutableRawPointer(out + index).storeBytes(of: kept, as: SIMD8<Float>.self)
            index += 8
        }
        while index < range.upperBound {
            out[index] = input[index] <= 0 ? 0 : values[index]
            index += 1
        }
    }
}

/// Reshapes `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]`.
public final class Flatten: Layer {
    /// Creates the layer.
    public init() {}

    /// Flattens all but the first dimension; the pullback restores the shape.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        precondition(input.rank >= 1, "Flatten needs a batch dimension")
        let shape = input.shape
        return (input.reshaped(to: [shape[0], -1]), { $0.reshaped(to: shape) })
    }
}
