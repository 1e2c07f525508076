import Layers
import Tensors
import TestSupport
import XCTest

final class CustomLayerTests: XCTestCase {
    func testUserWrittenLayerPassesTheGradientCheck() {
        for batch in [1, 4] {
            let input = Tensor.random([batch, 5], seed: UInt64(batch)).map { abs($0) < 0.05 ? $0 + 0.1 : $0 }
            let mismatches = GradientChecker.check(PReLU(features: 5), input: input)
            XCTAssertTrue(mismatches.isEmpty, "\(mismatches)")
        }
    }

    func testUserWrittenLayerComposesWithSequential() {
        var generator = RandomGenerator(seed: 2)
        let model = Sequential(Dense(inputSize: 3, outputSize: 4, generator: &generator), PReLU(features: 4))
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "1.slope"])
        XCTAssertTrue(GradientChecker.check(model, input: .random([2, 3], seed: 9)).isEmpty)
    }
}
