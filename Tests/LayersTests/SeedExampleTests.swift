import Layers
import Tensors
import XCTest

/// The seed's worked backpropagation example, checked by hand:
/// net = 0.1·0.27 + 0.2·0.57 + 0.4 = 0.541; sigmoid(0.541) = 1/(1 + e^-0.541) = 0.63204;
/// ½((0.5 - 0.735)² + (0.5 - 0.455)²) = ½(0.055225 + 0.002025) = 0.028625.
final class SeedExampleTests: XCTestCase {
    func testNetInputAndSigmoid() throws {
        let neuron = Sequential(try Dense(weight: Tensor([[0.27, 0.57]]), bias: Tensor([0.4])))
        let net = neuron(Tensor([[0.1, 0.2]]))
        XCTAssertEqual(net.scalar, 0.541, accuracy: 5e-4)
        XCTAssertEqual(Sigmoid()(net).scalar, 0.632, accuracy: 5e-4)
    }

    func testTotalErrorWithHalfMeanSquaredError() {
        let (value, gradient) = MeanSquaredError().evaluate(Tensor([[0.735, 0.455]]), target: Tensor([[0.5, 0.5]]))
        XCTAssertEqual(value, 0.0286, accuracy: 5e-5)
        // ∂E/∂o = o - t for one sample.
        XCTAssertEqual(gradient.scalars[0], 0.235, accuracy: 1e-6)
        XCTAssertEqual(gradient.scalars[1], -0.045, accuracy: 1e-6)
    }
}
