import Layers
import Tensors
import XCTest

/// A training batch with one value per channel (a batch that shrank to one sample when bad
/// samples were skipped) must not trap: x̂ = x - mean = 0, so the output is β, the input gradient
/// is 0, and the running variance takes the batch's own variance (0) instead of dividing by n - 1 = 0.
final class BatchNormSingleValueTests: XCTestCase {
    func testOneSampleNormalisesToBetaWithFiniteRunningStatistics() {
        let layer = BatchNorm(features: 3, momentum: 0.5)
        layer.bias.value = Tensor([0.5, -1, 2])
        let context = ForwardContext(isTraining: true)
        let (output, pullback) = layer.forward(Tensor([[3, -4, 7]]), context: context)
        XCTAssertEqual(output.scalars, [0.5, -1, 2])
        // Running mean: 0.5·0 + 0.5·x; running variance: 0.5·1 + 0.5·0.
        XCTAssertEqual(layer.runningMean.value.scalars, [1.5, -2, 3.5])
        XCTAssertEqual(layer.runningVariance.value.scalars, [0.5, 0.5, 0.5])
        let gradient = pullback(Tensor([[1, 2, 3]]))
        XCTAssertEqual(gradient.scalars, [0, 0, 0])
        XCTAssertEqual(layer.bias.gradient.scalars, [1, 2, 3])
        XCTAssertEqual(layer.weight.gradient.scalars, [0, 0, 0])
    }
}
