import Layers
import Tensors

/// A user's residual block, `y = x + body(x)`, written as a custom layer holding a `Sequential`:
/// it passes its context on to its body and adds the body's input gradient to its own. It is
/// opaque to training (not a `LayerContainer`): the step runs it as one leaf. (`TestResidual` in
/// TrainingTests is the same block as a container the step opens.)
open class ResidualBlock: Layer {
    /// The body; its output has the input's shape.
    public let body: Sequential
    private let keepsToChunks: Bool

    /// A block around `body`; `keepsToChunks` is what it claims for `keepsToGradientChunks`.
    public init(_ body: Sequential, keepsToChunks: Bool = false) {
        self.body = body
        self.keepsToChunks = keepsToChunks
    }

    /// `x + body(x)`; the pullback returns the upstream gradient plus the body's input gradient.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let (inner, innerPullback) = body.forward(input, context: context)
        return (input + inner, { gradient in gradient + innerPullback(gradient) })
    }

    /// The body's output shape, which must be the input's.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        let inner = try body.outputShape(forInputShape: shape)
        guard inner == shape else {
            throw LayerShapeError(reason: "the body turns \(shape) into \(inner)", fix: "give the body an output of the input's shape")
        }
        return shape
    }

    /// The body's parameters, named `body.<name>`.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        body.visitParameters { visitor("body.\($0)", $1) }
    }

    /// The body's buffers, named `body.<name>`.
    public func visitBuffers(_ visitor: (String, Buffer) -> Void) {
        body.visitBuffers { visitor("body.\($0)", $1) }
    }

    /// As given.
    public var keepsToGradientChunks: Bool { keepsToChunks }
}
