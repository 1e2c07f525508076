import Layers
import Tensors
import TestSupport
import XCTest

/// The extension story: a user-written layer in about 20 lines (also shown in the README).
/// PReLU with one learnable slope per feature: y = x if x > 0, else slope · x.
final class PReLU: Layer {
    let slope: Parameter

    init(features: Int, initialSlope: Float = 0.25) {
        slope = Parameter(Tensor(shape: [features], repeating: initialSlope))
    }

    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let a = slope.value
        let output = input.broadcasting(a) { x, s in x > 0 ? x : s * x }
        return (
            output,
            { [slope] gradient in
                let negative = input.map { min($0, 0) }  // ∂y/∂slope = x where x ≤ 0
                slope.accumulateGradient((gradient * negative).sum(alongAxis: 0))
                return gradient * input.broadcasting(a) { x, s in x > 0 ? 1 : s }
            }
        )
    }

    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("slope", slope)
    }
}

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
