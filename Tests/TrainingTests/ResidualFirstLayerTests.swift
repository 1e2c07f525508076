import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A user's container as the model's first layer: the training step asks the first layer for no
/// input gradient, which a container passing its context on must never see (its body's first
/// dense layer would return an empty gradient for the block to add to its own: a trap).
final class ResidualFirstLayerTests: XCTestCase {
    private func makeModel(keepsToChunks: Bool) -> Sequential {
        var generator = RandomGenerator(seed: 21)
        let body = Sequential(
            Dense(inputSize: 4, outputSize: 4, generator: &generator), Tanh(), Dense(inputSize: 4, outputSize: 4, generator: &generator))
        return Sequential(ResidualBlock(body, keepsToChunks: keepsToChunks), Tanh(), Dense(inputSize: 4, outputSize: 3, generator: &generator))
    }

    private let features = Tensor.random([8, 4], seed: 5)
    private let labels = [0, 1, 2, 0, 1, 2, 2, 1]

    /// The mean loss of the model in inference mode (no stochastic layers: the training forward's value).
    private func loss(_ model: Sequential) -> Double {
        Double(SoftmaxCrossEntropy().evaluate(model(features), target: labels).value)
    }

    /// One training step at learning rate 0 leaves the step's gradient in the parameters: it
    /// must match the loss's central finite differences, whether the block runs over the whole
    /// batch (keeping to chunks) or chunk by chunk.
    func testTheStepsGradientMatchesFiniteDifferences() throws {
        for keepsToChunks in [false, true] {
            let model = makeModel(keepsToChunks: keepsToChunks)
            let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0))
            trainer.chunkSize = 3
            _ = try trainer.step(Batch(features: features, labels: labels))
            var compared = 0
            for (name, parameter) in model.namedParameters {
                for index in 0..<parameter.value.count {
                    let original = parameter.value[flat: index]
                    parameter.value[flat: index] = original + 1e-2
                    let up = loss(model)
                    let upValue = parameter.value[flat: index]
                    parameter.value[flat: index] = original - 1e-2
                    let down = loss(model)
                    let downValue = parameter.value[flat: index]
                    parameter.value[flat: index] = original
                    let numeric = (up - down) / Double(upValue - downValue)
                    let analytic = Double(parameter.gradient[flat: index])
                    XCTAssertEqual(analytic, numeric, accuracy: 1e-3 + 1e-2 * abs(numeric), "\(name)[\(index)], keepsToChunks \(keepsToChunks)")
                    compared += 1
                }
            }
            XCTAssertEqual(compared, 2 * (16 + 4) + 12 + 3)
        }
    }

    /// A few steps train the model (the loss on the batch falls), and the block's own pullback
    /// agrees with finite differences.
    func testAResidualFirstLayerTrains() throws {
        let model = makeModel(keepsToChunks: false)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5))
        let before = loss(model)
        for _ in 0..<5 { _ = try trainer.step(Batch(features: features, labels: labels)) }
        XCTAssertLessThan(loss(model), before)
        let block = try XCTUnwrap(model.layers.first as? ResidualBlock)
        XCTAssertEqual(GradientChecker.check(block, input: features).map(\.description), [])
    }

    /// Asked for no input gradient, a `Sequential` whose first layer is a container still returns
    /// the full gradient (the container was asked for it), and restores the flag.
    func testASequentialAsksAContainerForItsInputGradient() {
        let model = makeModel(keepsToChunks: true)
        let context = ForwardContext(isTraining: true)
        context.requiresInputGradient = false
        let (output, pullback) = model.forward(features, context: context)
        XCTAssertEqual(pullback(Tensor(shape: output.shape, repeating: 1)).shape, features.shape)
        XCTAssertFalse(context.requiresInputGradient)
    }
}
