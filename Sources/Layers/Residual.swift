import Tensors

/// A residual block (He et al. 2016): `y = activation(body(x) + shortcut(x))`, where the shortcut
/// is the identity when it has no layers (a 1x1 strided convolution and a batch norm, say, where
/// the body changes the shape) and the activation is optional. Training opens it as a
/// `LayerContainer`, so a batch norm inside normalises over the whole batch on any number of
/// ranks. Its parameters and buffers are named as PyTorch names those of a module with `body`
/// and `shortcut` submodules (`body.0.weight`, `shortcut.1.running_mean`); the activation has none.
public final class Residual: LayerContainer {
    /// The main branch; its output must have the shortcut's output shape.
    public let body: Sequential
    /// The branch added to the body's output; the identity when it has no layers.
    public let shortcut: Sequential
    /// Applied to the sum (ReLU in He et al.'s basic block), or nil.
    public let activation: (any Layer)?

    /// A block adding `body(x)` and `shortcut(x)` (`x` itself when `shortcut` is empty), then
    /// applying `activation`, which must be a layer without parameters.
    public init(body: Sequential, shortcut: Sequential = Sequential([]), activation: (any Layer)? = nil) {
        self.body = body
        self.shortcut = shortcut
        self.activation = activation
    }

    /// The body, the shortcut when it has layers, and the activation when there is one.
    public var sublayers: [any Layer] {
        [body] + (shortcut.layers.isEmpty ? [] : [shortcut]) + (activation.map { [$0] } ?? [])
    }

    /// `body`, `shortcut` and `activation`, as `sublayers` lists them.
    public var sublayerNames: [String] {
        ["body"] + (shortcut.layers.isEmpty ? [] : ["shortcut"]) + (activation == nil ? [] : ["activation"])
    }

    /// The block over a batch; the pullback adds the gradients of both branches' inputs.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let (main, mainPullback) = body.forward(input, context: context)
        let (side, sidePullback): (Tensor, Pullback) = shortcut.layers.isEmpty ? (input, { $0 }) : shortcut.forward(input, context: context)
        let sum = Units.sum(main, side)
        guard let activation else {
            return (sum, { gradient in Units.sum(mainPullback(gradient), sidePullback(gradient)) })
        }
        let (output, activationPullback) = activation.forward(sum, context: context)
        return (
            output,
            { gradient in
                let inner = activationPullback(gradient)
                return Units.sum(mainPullback(inner), sidePullback(inner))
            }
        )
    }

    /// The same over a training step's units, each branch run by `runner`.
    public func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        let (main, mainBackward) = try runner.run(body, units: units)
        let (side, sideBackward): ([Tensor?], UnitBackward) =
            shortcut.layers.isEmpty ? (units, { $0 }) : try runner.run(shortcut, units: units)
        let sum = Units.adding(main, side)
        guard let activation else {
            return (sum, { gradients in Units.adding(try mainBackward(gradients), try sideBackward(gradients)) })
        }
        let (outputs, activationBackward) = try runner.run(activation, units: sum)
        return (
            outputs,
            { gradients in
                let inner = try activationBackward(gradients)
                return Units.adding(try mainBackward(inner), try sideBackward(inner))
            }
        )
    }

    /// The body's output shape, which must be the shortcut's (the input's when it is the identity).
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        let main = try body.outputShape(forInputShape: shape)
        let side = try shortcut.outputShape(forInputShape: shape)
        guard main == side else {
            let what = shortcut.layers.isEmpty ? "the input's shape \(side) (the identity shortcut)" : "the shortcut's output \(side)"
            throw LayerShapeError(
                reason: "the body turns \(shape) into \(main), which cannot be added to \(what)",
                fix: shortcut.layers.isEmpty
                    ? "give the block a shortcut (a 1x1 conv2d with the body's filters and stride, say) or keep the body's shape"
                    : "make the body and the shortcut end in the same shape (the same filters and stride)")
        }
        guard let activation else { return main }
        return try activation.outputShape(forInputShape: main)
    }
}
