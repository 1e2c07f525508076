import Layers
import Tensors
import TestSupport
import XCTest

/// `SoftmaxCrossEntropy(labelSmoothing:)` against `Tests/Fixtures/recipes-oracle.json`, which
/// `Tests/Fixtures/make_recipes_oracle.py` computes in float64 with NumPy from PyTorch's
/// documented `CrossEntropyLoss(label_smoothing=e)`:
///
///     loss = mean over rows of (1 - e) * -log p[label] + e * mean over classes of -log p
///     d loss / d logits = (softmax - ((1 - e) onehot + e / C)) / N
final class LabelSmoothingTests: XCTestCase {
    func testSmoothedCrossEntropyMatchesPyTorchsFormula() throws {
        let oracle = try RecipesOracle.section("label_smoothing")
        let rows = try XCTUnwrap(oracle["logits"] as? [Any]).map { RecipesOracle.numbers($0).map(Float.init) }
        let labels = RecipesOracle.numbers(oracle["labels"]).map { Int($0) }
        let loss = try SoftmaxCrossEntropy(labelSmoothing: 0.1)
        let (value, gradient) = loss.evaluate(Tensor(rows), target: labels)
        XCTAssertEqual(Double(value), try XCTUnwrap(oracle["loss"] as? Double), accuracy: 1e-6)
        let expected = try XCTUnwrap(oracle["gradient"] as? [Any]).flatMap { RecipesOracle.numbers($0) }
        XCTAssertEqual(gradient.shape, [3, 4])
        for (index, (actual, wanted)) in zip(gradient.scalars, expected).enumerated() {
            XCTAssertEqual(Double(actual), wanted, accuracy: 1e-7, "gradient [\(index)]")
        }
    }

    func testNoSmoothingIsThePlainLossBitForBitAndOutOfRangeNamesTheArgument() throws {
        let logits = Tensor([[1, 2, 0.5], [0, -0.5, 3]])
        let plain = SoftmaxCrossEntropy().evaluate(logits, target: [1, 2])
        let zero = try SoftmaxCrossEntropy(labelSmoothing: 0).evaluate(logits, target: [1, 2])
        XCTAssertEqual(plain.value, zero.value)
        XCTAssertEqual(plain.gradient.scalars, zero.gradient.scalars)
        for bad: Float in [-0.1, 1.5, .nan] {
            XCTAssertThrowsError(try SoftmaxCrossEntropy(labelSmoothing: bad)) { error in
                XCTAssertEqual((error as? ArgumentError)?.argument, "labelSmoothing")
            }
        }
    }
}
