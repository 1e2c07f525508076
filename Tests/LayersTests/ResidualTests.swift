import Layers
import Tensors
import TestSupport
import XCTest

/// The built-in residual block: its output against values worked out by hand, its pullback
/// against central finite differences, its names and its shape errors.
final class ResidualTests: XCTestCase {
    /// `relu(body(x) + shortcut(x))` with body `2x` (a dense layer of weight 2I) and shortcut
    /// `-3x + 1` (weight -3I, bias 1): for x = (1, -2), body (2, -4), shortcut (-2, 7), sum (0, 3),
    /// output (0, 3); without a shortcut, x + body(x) = (3, -6).
    func testOutputsMatchHandComputedValues() throws {
        let body = Sequential(try Dense(weight: Tensor([[2, 0], [0, 2]]), bias: nil))
        let shortcut = Sequential(try Dense(weight: Tensor([[-3, 0], [0, -3]]), bias: Tensor([1, 1])))
        let input = Tensor([[1, -2]])
        XCTAssertEqual(Residual(body: body, shortcut: shortcut, activation: ReLU())(input), Tensor([[0, 3]]))
        XCTAssertEqual(Residual(body: body)(input), Tensor([[3, -6]]))
    }

    func testGradientsMatchCentralDifferences() throws {
        var generator = RandomGenerator(seed: 3)
        let blocks: [(String, Residual)] = [
            ("identity shortcut", Residual(body: Sequential(Dense(inputSize: 4, outputSize: 4, generator: &generator), Tanh()))),
            (
                "dense shortcut, tanh after the sum",
                Residual(
                    body: Sequential(Dense(inputSize: 4, outputSize: 3, generator: &generator), Sigmoid()),
                    shortcut: Sequential(Dense(inputSize: 4, outputSize: 3, useBias: false, generator: &generator)), activation: Tanh())
            ),
            (
                "convolutions, strided 1x1 shortcut",
                Residual(
                    body: Sequential(Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, generator: &generator)),
                    shortcut: Sequential(Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 1, stride: 2, generator: &generator)))
            ),
        ]
        for (name, block) in blocks {
            let input: Tensor = name.hasPrefix("convolutions") ? .random([2, 2, 5, 5], seed: 4) : .random([3, 4], seed: 5)
            let mismatches = GradientChecker.check(block, input: input)
            XCTAssertEqual(mismatches.prefix(5).map(\.description), [], name)
        }
    }

    func testParametersAndBuffersAreNamedAsPyTorchNamesThem() {
        var generator = RandomGenerator(seed: 1)
        let block = Residual(
            body: Sequential(
                Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, useBias: false, generator: &generator), BatchNorm(features: 2)),
            shortcut: Sequential(
                Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 1, useBias: false, generator: &generator), BatchNorm(features: 2)),
            activation: ReLU())
        XCTAssertEqual(
            block.namedParameters.map(\.name),
            ["body.0.weight", "body.1.weight", "body.1.bias", "shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias"])
        XCTAssertEqual(
            block.namedBuffers.map(\.name),
            [
                "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked", "shortcut.1.running_mean", "shortcut.1.running_var",
                "shortcut.1.num_batches_tracked",
            ])
        XCTAssertEqual(Sequential(block).namedParameters.first?.name, "0.body.0.weight")
    }

    func testABodyThatChangesTheShapeWithoutAShortcutIsAnErrorNamingBothShapes() {
        var generator = RandomGenerator(seed: 1)
        let block = Residual(body: Sequential(Dense(inputSize: 4, outputSize: 3, generator: &generator)))
        XCTAssertThrowsError(try block.outputShape(forInputShape: [4])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("[4] into [3]") && text.contains("identity shortcut") && text.contains("give the block a shortcut"), text)
        }
        let mismatched = Residual(
            body: Sequential(Dense(inputSize: 4, outputSize: 3, generator: &generator)),
            shortcut: Sequential(Dense(inputSize: 4, outputSize: 2, generator: &generator)))
        XCTAssertThrowsError(try mismatched.outputShape(forInputShape: [4])) { error in
            XCTAssertTrue("\(error)".contains("the shortcut's output [2]"), "\(error)")
        }
    }
}
