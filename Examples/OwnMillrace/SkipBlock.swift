import Millrace

/// A skip connection, `y = x + body(x)`, as a layer container of your own (the built-in `residual`
/// does this and more: a shortcut branch, an activation): training opens it, so a batch norm
/// in its body normalises over the whole batch on any number of ranks.
final class SkipBlock: LayerContainer {
    let body: Sequential
    var sublayers: [any Layer] { [body] }

    init(_ body: Sequential) { self.body = body }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let (output, pullback) = body.forward(input, context: context)
        return (input + output, { $0 + pullback($0) })
    }

    func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        let (outputs, backward) = try runner.run(body, units: units)
        return (Units.adding(units, outputs), { Units.adding($0, try backward($0)) })
    }

    func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        let output = try body.outputShape(forInputShape: shape)
        guard output == shape else { throw LayerShapeError(reason: "its body turns \(shape) into \(output)", fix: "keep the shape") }
        return shape
    }
}

/// `{"type": "skip-block", "layers": [...]}`: the body's layers, as `model.layers` lists them.
struct SkipBlockSpecification: LayerSpecification, KeyedSettings {
    @Setting("layers") var layers: [RunConfiguration.LayerEntry] = []

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        SkipBlock(try context.build(layers).layers)
    }
}
