import Layers
import Tensors

/// The extension story: a user-written layer in about 20 lines (also shown in the README).
/// PReLU with one learnable slope per feature: y = x if x > 0, else slope · x.
public final class PReLU: Layer {
    /// The learnable slope of each feature.
    public let slope: Parameter

    /// One slope per feature, all starting at `initialSlope`.
    public init(features: Int, initialSlope: Float = 0.25) {
        slope = Parameter(Tensor(shape: [features], repeating: initialSlope))
    }

    /// `x` where positive, `slope · x` elsewhere, and the pullback.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let a = slope.value
        let output = input.broadcasting(a) { x, s in x > 0 ? x : s * x }
        return (
            output,
            { [slope] gradient in
                let negative = input.map { min($0, 0) }  // ∂y/∂slope = x where x ≤ 0
                slope.accumulateGradient((gradient * negative).sum(alongAxis: 0))
                return gradient * input.broadcasting(a) { x, s in x > 0 ? 1 : s }
            }
        )
    }

    /// The slope, named `slope`.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("slope", slope)
    }
}
