import Layers
import Tensors
import XCTest

final class LayerBehaviourTests: XCTestCase {
    func testSoftmaxValuesByHand() {
        // softmax([1, 2, 3]) = e^i / (e + e² + e³) = [0.09003057, 0.24472847, 0.66524096]
        let y = Softmax()(Tensor([[1, 2, 3]]))
        for (actual, expected) in zip(y.scalars, [0.09003057, 0.24472847, 0.66524096] as [Float]) {
            XCTAssertEqual(actual, expected, accuracy: 1e-6)
        }
        // Large logits do not overflow.
        XCTAssertEqual(Softmax()(Tensor([[1000, 1000]])).scalars, [0.5, 0.5])
        XCTAssertEqual(LogSoftmax()(Tensor([[0, 0]])).scalars[0], -0.6931472, accuracy: 1e-6)
    }

    func testCrossEntropyByHand() {
        // -log(e³ / (e + e² + e³)) = 0.40760596; with label 0: 2.40760596; mean 1.40760596.
        let loss = SoftmaxCrossEntropy().evaluate(Tensor([[1, 2, 3], [1, 2, 3]]), target: [2, 0])
        XCTAssertEqual(loss.value, 1.40760596, accuracy: 1e-6)
        // Gradient row 0: (softmax - onehot(2)) / 2.
        XCTAssertEqual(loss.gradient[0, 2], (0.66524096 - 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(loss.gradient[1, 0], (0.09003057 - 1) / 2, accuracy: 1e-6)
        let oneHot = SoftmaxCrossEntropy().evaluate(Tensor([[1, 2, 3], [1, 2, 3]]), probabilities: Tensor([[0, 0, 1], [1, 0, 0]]))
        XCTAssertEqual(oneHot.value, loss.value, accuracy: 1e-6)
        XCTAssertEqual(SoftmaxCrossEntropy().evaluate(Tensor([[1000, 0]]), target: [1]).value, 1000, accuracy: 1e-3)
    }

    func testSumOfSquaresByHand() {
        // (0 - 0.5)² + (1 - 0.25)² = 0.25 + 0.5625
        let loss = SumOfSquares().evaluate(Tensor([[0.5], [0.25]]), target: Tensor([[0], [1]]))
        XCTAssertEqual(loss.value, 0.8125)
        XCTAssertEqual(loss.gradient.scalars, [1, -1.5])
    }

    func testSequentialNamesParametersWithDottedIndices() {
        var generator = RandomGenerator(seed: 0)
        let model = Sequential(
            Dense(inputSize: 4, outputSize: 3, generator: &generator), ReLU(),
            Sequential(Dense(inputSize: 3, outputSize: 2, useBias: false, generator: &generator)))
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "2.0.weight"])
        XCTAssertEqual(model.parameterCount, 4 * 3 + 3 + 3 * 2)
    }

    func testDenseDefaultInitializationMatchesPyTorchBounds() {
        var generator = RandomGenerator(seed: 3)
        let layer = Dense(inputSize: 100, outputSize: 50, generator: &generator)
        XCTAssertEqual(layer.weight.value.shape, [50, 100])
        XCTAssertLessThanOrEqual(layer.weight.value.scalars.map(abs).max()!, 0.1)
        XCTAssertLessThanOrEqual(layer.bias!.value.scalars.map(abs).max()!, 0.1)
        XCTAssertGreaterThan(layer.weight.value.scalars.map(abs).max()!, 0.09)
    }

    func testGradientsAccumulateUntilZeroed() throws {
        let layer = try Dense(weight: Tensor([[1, 2]]), bias: Tensor([0]))
        let input = Tensor([[3, 4]])
        for _ in 0..<2 { _ = layer.forward(input, context: ForwardContext(isTraining: true)).pullback(Tensor([[1]])) }
        XCTAssertEqual(layer.weight.gradient.scalars, [6, 8])
        XCTAssertEqual(layer.bias!.gradient.scalars, [2])
        layer.zeroGradients()
        XCTAssertEqual(layer.weight.gradient.scalars, [0, 0])
    }
}
