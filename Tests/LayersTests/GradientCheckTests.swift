import Layers
import Tensors
import TestSupport
import XCTest

/// Every layer's pullback against central finite differences, for several shapes including a
/// batch of one.
final class GradientCheckTests: XCTestCase {
    private let batchSizes = [1, 3, 5]

    private func assertGradients(_ layer: some Layer, input: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        let mismatches = GradientChecker.check(layer, input: input)
        XCTAssertTrue(mismatches.isEmpty, "\(type(of: layer)) \(input.shape): \(mismatches.prefix(5))", file: file, line: line)
    }

    func testDense() {
        var generator = RandomGenerator(seed: 1)
        for batch in batchSizes {
            for (inputSize, outputSize) in [(1, 1), (4, 3), (7, 2)] {
                assertGradients(
                    Dense(inputSize: inputSize, outputSize: outputSize, generator: &generator),
                    input: .random([batch, inputSize], seed: UInt64(batch * 10 + inputSize)))
                assertGradients(
                    Dense(inputSize: inputSize, outputSize: outputSize, useBias: false, generator: &generator),
                    input: .random([batch, inputSize], seed: UInt64(batch)))
            }
        }
    }

    func testElementwiseActivations() {
        for batch in batchSizes {
            let input = Tensor.random([batch, 6], seed: UInt64(batch), lower: -3, upper: 3)
            assertGradients(Sigmoid(), input: input)
            assertGradients(Tanh(), input: input)
            // Keep ReLU inputs away from the kink at 0, where the difference quotient is not the derivative.
            assertGradients(ReLU(), input: input.map { abs($0) < 0.05 ? $0 + 0.1 : $0 })
        }
    }

    func testSoftmaxAndLogSoftmax() {
        for batch in batchSizes {
            for width in [1, 2, 5] {
                let input = Tensor.random([batch, width], seed: UInt64(batch * width), lower: -2, upper: 2)
                assertGradients(Softmax(), input: input)
                assertGradients(LogSoftmax(), input: input)
            }
        }
    }

    func testFlattenAndSequential() {
        var generator = RandomGenerator(seed: 4)
        for batch in batchSizes {
            let input = Tensor.random([batch, 2, 3], seed: UInt64(batch))
            assertGradients(Flatten(), input: input)
            let network = Sequential(
                Flatten(), Dense(inputSize: 6, outputSize: 4, generator: &generator), Tanh(),
                Dense(inputSize: 4, outputSize: 3, generator: &generator), Sigmoid())
            assertGradients(network, input: input)
        }
    }

    func testLosses() {
        for batch in batchSizes {
            let output = Tensor.random([batch, 4], seed: UInt64(batch))
            let target = Tensor.random([batch, 4], seed: UInt64(batch + 100))
            XCTAssertTrue(GradientChecker.check(loss: MeanSquaredError(), output: output, target: target).isEmpty)
            XCTAssertTrue(GradientChecker.check(loss: SumOfSquares(), output: output, target: target).isEmpty)
            let labels = (0..<batch).map { $0 % 4 }
            let crossEntropy = GradientChecker.check(loss: SoftmaxCrossEntropy(), output: output * 3, target: labels)
            XCTAssertTrue(crossEntropy.isEmpty, "\(crossEntropy)")
            let soft = Softmax()(target)
            XCTAssertTrue(GradientChecker.check(loss: ProbabilityCrossEntropy(), output: output, target: soft).isEmpty)
        }
    }

    func testCheckerCatchesAWrongPullback() {
        // A deliberately wrong layer (gradient off by a factor of 2) must be reported.
        final class Wrong: Layer {
            func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
                (input * input, { $0 * input })  // should be 2 · input
            }
        }
        XCTAssertFalse(GradientChecker.check(Wrong(), input: .random([2, 3], seed: 1)).isEmpty)
    }
}

/// Adapts the probability-target form of the fused cross-entropy to the `Loss` protocol.
struct ProbabilityCrossEntropy: Loss {
    func evaluate(_ output: Tensor, target: Tensor) -> (value: Float, gradient: Tensor) {
        SoftmaxCrossEntropy().evaluate(output, probabilities: target)
    }
}
