import Layers
import Optimizers
import Tensors
import TestSupport
import XCTest

/// A small linear regression, y = 3·x₁ - 2·x₂ + 0.5 without noise, must be recovered.
final class ConvergenceTests: XCTestCase {
    private func regression(_ optimizer: some Optimizer, steps: Int) -> Dense {
        let inputs = Tensor.random([64, 2], seed: 1, lower: -1, upper: 1)
        let targets = Tensor(shape: [64, 1], generating: { 3 * inputs[$0, 0] - 2 * inputs[$0, 1] + 0.5 })
        var generator = RandomGenerator(seed: 2)
        let model = Dense(inputSize: 2, outputSize: 1, generator: &generator)
        for _ in 0..<steps {
            model.zeroGradients()
            let (output, pullback) = model.forward(inputs, context: ForwardContext(isTraining: true))
            _ = pullback(MeanSquaredError().evaluate(output, target: targets).gradient)
            optimizer.step(model)
        }
        return model
    }

    private func assertRecovered(_ model: Dense, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(model.weight.value[0, 0], 3, accuracy: 1e-3, file: file, line: line)
        XCTAssertEqual(model.weight.value[0, 1], -2, accuracy: 1e-3, file: file, line: line)
        XCTAssertEqual(model.bias!.value[0], 0.5, accuracy: 1e-3, file: file, line: line)
    }

    func testMomentumRecoversLinearModel() {
        assertRecovered(regression(SGD(learningRate: 0.1, momentum: 0.9), steps: 400))
    }

    func testAdamRecoversLinearModel() {
        assertRecovered(regression(Adam(learningRate: 0.05), steps: 1500))
    }
}
