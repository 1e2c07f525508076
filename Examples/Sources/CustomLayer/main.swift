// CustomLayer: a layer of your own with parameters, usable from code and from pipeline files.
import Foundation
import Millrace

/// Scales each feature by a learnable gain and shifts it by a learnable bias: y = x * gain + bias.
/// A layer is a `final class` holding `Parameter`s; nothing here needs to know about gradient chunks.
final class FeatureScale: Layer {
    let gain: Parameter
    let bias: Parameter

    init(features: Int, initialGain: Float = 1) {
        gain = Parameter(Tensor(shape: [features], repeating: initialGain))
        bias = Parameter(Tensor(shape: [features], repeating: 0))
    }

    /// The output for a batch `[rows, features]`, and the pullback: it adds ∂loss/∂gain and
    /// ∂loss/∂bias to the parameters and returns ∂loss/∂input.
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let gainValue = gain.value  // the value this forward used, for the pullback
        let output = input * gainValue + bias.value  // [features] broadcasts over the rows
        let pullback: Pullback = { [gain, bias] gradient in
            gain.accumulateGradient((gradient * input).sum(alongAxis: 0))
            bias.accumulateGradient(gradient.sum(alongAxis: 0))
            return gradient * gainValue
        }
        return (output, pullback)
    }

    /// The names become checkpoint keys (`Sequential` prefixes them: `2.gain`).
    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("gain", gain)
        visitor("bias", bias)
    }
}

/// The layer's keys in a pipeline file: `{"type": "feature-scale", "initial_gain": 0.5}`.
/// Unknown keys and values that break a rule are errors naming the key.
struct FeatureScaleSpecification: LayerSpecification, KeyedSettings {
    @Setting("initial_gain", .atLeast(0)) var initialGain: Float? = nil

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        FeatureScale(features: context.inputShape.reduce(1, *), initialGain: initialGain ?? 1)
    }
}

// 1. Register the type name once, before decoding any configuration that uses it.
LayerRegistry.register("feature-scale", FeatureScaleSpecification.self)

// 2. Build a model from the same JSON a pipeline file's `model.layers` holds (4 features, 3 classes;
//    the last dense layer's units default to the class count).
let json = #"[{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "feature-scale", "initial_gain": 0.5}, {"type": "dense"}]"#
let layers = try JSONDecoder().decode([RunConfiguration.LayerEntry].self, from: Data(json.utf8))
let model = try ModelBuilder.build(layers, sampleShape: [4], classes: 3, seed: 7)

// 3. A few steps by hand: forward, loss, backward (the pullback fills the gradients), update.
let input = Tensor(shape: [6, 4], generating: { Float($0 % 5) / 4 })
let labels = [0, 1, 2, 0, 1, 2]
let optimizer = Adam(learningRate: 0.05)
for step in 1...20 {
    model.zeroGradients()
    let (logits, pullback) = model.forward(input, context: ForwardContext(isTraining: true))
    let (loss, gradient) = SoftmaxCrossEntropy().evaluate(logits, target: labels)
    _ = pullback(gradient)
    optimizer.step(model)
    if step == 1 || step % 5 == 0 { print("step \(step): loss \(loss)") }
}
for (name, parameter) in model.namedParameters { print(name, parameter.value.shape) }
