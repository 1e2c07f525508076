import Layers
import Tensors
import XCTest

/// Unusable constructor arguments through the public API: each is an `ArgumentError` (or, for
/// the initialisers that cannot throw, the layer's `argumentProblem` and its shape check's
/// `LayerShapeError`) naming the call, the argument and the values, never a trap.
final class LayerArgumentTests: XCTestCase {
    private func assertError(
        _ body: @autoclosure () throws -> some Any, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is ArgumentError, "\(type(of: error))", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' missing from: \(error)", file: file, line: line)
            }
        }
    }

    func testDenseFromValuesRefusesMismatchedShapes() {
        assertError(
            try Dense(weight: Tensor(shape: [4, 2]), bias: Tensor(shape: [3])),
            ["Dense(weight:bias:): bias has shape [3], but the weight [4, 2] needs [4]", "one bias value per output"])
        assertError(try Dense(weight: Tensor(shape: [8]), bias: nil), ["Dense(weight:bias:): weight has shape [8], not [outputSize, inputSize]"])
        XCTAssertEqual(try Dense(weight: Tensor(shape: [4, 2]), bias: nil).outputSize, 4)
    }

    func testDropoutRefusesAProbabilityOutsideZeroToOne() {
        for probability: Float in [1, 1.5, -0.1] {
            assertError(try Dropout(probability: probability), ["Dropout(probability:): probability is \(probability), outside [0, 1)"])
        }
        XCTAssertEqual(try Dropout(probability: 0).probability, 0)
    }

    /// The initialisers that keep their signatures record the first problem and build a layer
    /// that holds no negative shape; usable arguments record none.
    func testLayersThatCannotThrowRecordTheirProblem() {
        var g = RandomGenerator(seed: 1)
        let dense = Dense(inputSize: 3, outputSize: -2, generator: &g)
        XCTAssertEqual(dense.argumentProblem?.argument, "outputSize")
        XCTAssertEqual(dense.weight.value.shape, [0, 3])
        let bias = Dense(inputSize: 3, outputSize: 2, biasInitializer: .values(Tensor([1, 2, 3])), generator: &g)
        XCTAssertEqual(bias.argumentProblem?.description.contains("biasInitializer holds values of shape [3], but the parameter is [2]"), true)
        XCTAssertEqual(bias.bias?.value.scalars, [0, 0])
        let convolution = Conv2D(inputChannels: -1, outputChannels: 2, kernelSize: 3, stride: 0, generator: &g)
        XCTAssertEqual(convolution.argumentProblem?.argument, "inputChannels", "the first problem wins")
        XCTAssertEqual(Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 0, generator: &g).argumentProblem?.argument, "stride")
        XCTAssertEqual(MaxPool2D(kernelSize: 0).argumentProblem?.argument, "kernelSize")
        XCTAssertEqual(AvgPool2D(kernelSize: 2, stride: -1).argumentProblem?.argument, "stride")
        XCTAssertEqual(BatchNorm(features: -1).weight.value.shape, [0])
        XCTAssertNil(Dense(inputSize: 3, outputSize: 2, generator: &g).argumentProblem)
        XCTAssertNil(Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 2, generator: &g).argumentProblem)
        XCTAssertNil(MaxPool2D(kernelSize: 2).argumentProblem)
        XCTAssertNil(BatchNorm(features: 4).argumentProblem)
    }

    /// An input without a batch axis (what `TrainedModel.probabilities` might be given) is
    /// refused, not trapped in `Flatten`.
    func testCheckedOutputRefusesAnInputWithoutABatchAxis() {
        XCTAssertThrowsError(try Sequential(Flatten(), ReLU()).checkedOutput(for: Tensor(2))) { error in
            XCTAssertEqual(
                "\(error)",
                "the model (Sequential) cannot take input of sample shape []: the input is a single value of shape [], with no batch axis; give [batch, ...sample shape]"
            )
        }
    }

    /// The shape check (`outputShape(forInputShape:)`) throws the recorded problem before any
    /// window arithmetic (a stride of 0 would divide by zero).
    func testTheShapeCheckReportsTheProblem() {
        XCTAssertThrowsError(try MaxPool2D(kernelSize: 2, stride: 0).outputShape(forInputShape: [1, 4, 4])) { error in
            XCTAssertEqual("\(error)", "MaxPool2D(kernelSize:stride:): stride is 0, not positive; give stride 1 or more")
        }
    }
}
