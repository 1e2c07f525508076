import Layers
import Tensors
import TestSupport

/// A residual block, `y = body(x) + x`, written as a user would: `forward(_:context:)` for a
/// batch, and `LayerContainer`'s `forward(units:runner:)` so training opens it (the batch norm in
/// its body then normalises with the global batch's statistics).
final class TestResidual: LayerContainer {
    let body: any Layer

    init(_ body: any Layer) { self.body = body }

    var sublayers: [any Layer] { [body] }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let (output, pullback) = body.forward(input, context: context)
        return (output + input, { gradient in pullback(gradient) + gradient })
    }

    func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        let (outputs, backward) = try runner.run(body, units: units)
        return (Units.adding(outputs, units), { Units.adding(try backward($0), $0) })
    }
}

/// The same block as a plain `Layer` that does not open itself to training (not a
/// `LayerContainer`): TestSupport's `ResidualBlock` under the name the refusal names.
final class OpaqueResidual: ResidualBlock {}

/// A container listing `sublayers` that runs the layers `runs` in a chain: for the refusals of
/// a container that runs a layer it does not list, or one layer twice.
final class ScriptedContainer: LayerContainer {
    let sublayers: [any Layer]
    let runs: [any Layer]

    init(listing sublayers: [any Layer], running runs: [any Layer]) {
        self.sublayers = sublayers
        self.runs = runs
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        Sequential(runs).forward(input, context: context)
    }

    func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        try Sequential(runs).forward(units: units, runner: runner)
    }
}
