import Millrace

/// Multiplies its input by a fixed factor: a layer without parameters.
final class Scale: Layer {
    /// What every element is multiplied by.
    let factor: Float

    /// A layer multiplying by `factor`.
    init(factor: Float) {
        self.factor = factor
    }

    /// `factor · x`, and the pullback `factor · gradient`.
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        (input * factor, { [factor] gradient in gradient * factor })
    }

    /// None.
    func visitParameters(_ visitor: (String, Parameter) -> Void) {}
}

/// `{"type": "scale", "factor": 0.5}` in a pipeline file's `model.layers` (`factor` 1 when left out).
struct ScaleSpecification: LayerSpecification, KeyedSettings {
    @Setting("factor", .atLeast(0)) var factor: Float? = nil

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        Scale(factor: factor ?? 1)
    }
}
