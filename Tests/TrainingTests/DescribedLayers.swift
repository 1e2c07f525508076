import Layers
import Tensors
import Training

/// A user layer with a parameter for `ModelDescriptionTests`: `y = x + offset`, one offset per feature.
final class Shift: Layer {
    /// The offset of each feature.
    let offset: Parameter

    init(features: Int, initial: Float = 0) {
        offset = Parameter(Tensor(shape: [features], repeating: initial))
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        (
            input + offset.value,
            { [offset] gradient in
                offset.accumulateGradient(gradient.sum(alongAxis: 0))
                return gradient
            }
        )
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("offset", offset)
    }
}

/// `{"type": "shift", "initial": 0.5}`: a `Shift` as wide as its input.
struct ShiftSpecification: LayerSpecification, KeyedSettings {
    @Setting("initial") var initial: Float? = nil

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        Shift(features: context.inputShape.reduce(1, *), initial: initial ?? 0)
    }
}

/// A `Shift` whose registered specification makes it one feature too wide (the rebuilt model
/// then differs from the one described).
final class LooseShift: Layer {
    let offset: Parameter

    init(features: Int) {
        offset = Parameter(Tensor(shape: [features], repeating: 0))
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        (input + offset.value, { $0 })
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("offset", offset)
    }
}

/// `{"type": "loose-shift"}`: a `LooseShift` one feature wider than its input.
struct LooseShiftSpecification: LayerSpecification, KeyedSettings {
    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        LooseShift(features: context.inputShape.reduce(1, *) + 1)
    }
}

/// A user layer without settings: `y = x³`.
final class Cube: Layer {
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        (input * input * input, { gradient in gradient * input * input * 3 })
    }
}

/// A user layer nobody registers: `y = x / 2`.
final class Halve: Layer {
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        (input.map { $0 / 2 }, { gradient in gradient.map { $0 / 2 } })
    }
}

/// Registers the layers above (idempotent).
enum DescribedLayers {
    static func register() {
        LayerRegistry.register("shift", ShiftSpecification.self, describing: { (_: Shift) in ShiftSpecification() })
        LayerRegistry.register("loose-shift", LooseShiftSpecification.self, describing: { (_: LooseShift) in LooseShiftSpecification() })
        LayerRegistry.register("cube", layer: Cube.self, making: { _ in Cube() })
    }
}
