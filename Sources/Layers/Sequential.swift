import Tensors

/// A chain of layers applied in order; parameters are named `<index>.<name>`.
public final class Sequential: LayerContainer {
    /// The layers, in the order they are applied.
    public let layers: [any Layer]

    /// Creates a chain of `layers`.
    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    /// Creates a chain of `layers`.
    public convenience init(_ layers: any Layer...) {
        self.init(layers)
    }

    /// Applies every layer in order; the pullback runs their pullbacks in reverse. The first layer
    /// is asked for its input gradient as this call is (`ForwardContext.requireInputGradient`),
    /// every later one always.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        var output = input
        var pullbacks: [Pullback] = []
        pullbacks.reserveCapacity(layers.count)
        let requested = context.requiresInputGradient
        defer { context.requiresInputGradient = requested }
        for (index, layer) in layers.enumerated() {
            context.requireInputGradient(index == 0 ? requested : true, for: layer)
            let step = layer.forward(output, context: context)
            output = step.output
            pullbacks.append(step.pullback)
        }
        return (
            output,
            { gradient in
                var upstream = gradient
                for pullback in pullbacks.reversed() { upstream = pullback(consume upstream) }
                return upstream
            }
        )
    }

    /// The layers.
    public var sublayers: [any Layer] { layers }

    /// Runs every layer over the units in order; the backward pass runs theirs in reverse.
    public func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        var outputs = units
        var backwards: [UnitBackward] = []
        for layer in layers {
            let step = try runner.run(layer, units: outputs)
            outputs = step.outputs
            backwards.append(step.backward)
        }
        return (
            outputs,
            { gradients in
                var upstream = gradients
                for backward in backwards.reversed() { upstream = try backward(consume upstream) }
                return upstream
            }
        )
    }

    /// True when every layer keeps to them.
    public var keepsToGradientChunks: Bool { layers.allSatisfy(\.keepsToGradientChunks) }

    /// True: it passes the request on to its first layer only where that layer can skip it too.
    public var canSkipInputGradient: Bool { true }
}
