import Layers
import Tensors
import TestSupport

/// A user's dense layer written as for any batch, knowing nothing of gradient chunks: whole-batch
/// products, and it does not claim to keep to chunks (the training step runs it chunk by chunk).
final class NaiveDense: Layer {
    let weight: Parameter  // [outputs, inputs]
    let bias: Parameter

    init(inputs: Int, outputs: Int, seed: UInt64) {
        weight = Parameter(.random([outputs, inputs], seed: seed, lower: -0.5, upper: 0.5))
        bias = Parameter(.random([outputs], seed: seed + 1, lower: -0.1, upper: 0.1))
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let output = Tensor.matmul(input, weight.value, transposeB: true) + bias.value
        return (
            output,
            { [weight, bias] gradient in
                weight.accumulateGradient(Tensor.matmul(gradient, input, transposeA: true))
                bias.accumulateGradient(gradient.sum(alongAxis: 0))
                return Tensor.matmul(gradient, weight.value)
            }
        )
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("weight", weight)
        visitor("bias", bias)
    }
}

/// A user's per-feature scale and shift, `y = x · w + b`, times dropout-like noise drawn from
/// `context.generator` in training (each element kept with probability 3/4, scaled by 4/3).
final class NoisyScale: Layer {
    let scale: Parameter
    let shift: Parameter

    init(features: Int) {
        scale = Parameter(.random([features], seed: 41, lower: 0.5, upper: 1.5))
        shift = Parameter(.random([features], seed: 42, lower: -0.2, upper: 0.2))
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let noise = input.map { _ in !context.isTraining ? 1 : context.generator.nextUnitFloat() < 0.25 ? 0 : 4 / 3 }
        let output = (input * scale.value + shift.value) * noise
        return (
            output,
            { [scale, shift] gradient in
                let through = gradient * noise
                scale.accumulateGradient((through * input).sum(alongAxis: 0))
                shift.accumulateGradient(through.sum(alongAxis: 0))
                return through * scale.value
            }
        )
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("scale", scale)
        visitor("shift", shift)
    }
}

/// Counts the forward passes of the layer it wraps and is otherwise that layer.
final class ForwardCounter: Layer {
    let inner: any Layer
    private(set) var forwardCount = 0

    init(_ inner: any Layer) { self.inner = inner }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        forwardCount += 1
        return inner.forward(input, context: context)
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) { inner.visitParameters(visitor) }
    var keepsToGradientChunks: Bool { inner.keepsToGradientChunks }
}
