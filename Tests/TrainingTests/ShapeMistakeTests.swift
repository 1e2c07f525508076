import DataPipeline
import Layers
import Optimizers
import SystemIO
import Tensors
import TestSupport
import Training
import XCTest

/// Shape mistakes through the public API: each row hands a model data it does not fit, through
/// `Trainer.fit`, `Evaluation.run` or `Layer.checkedOutput` (what `TrainedModel.probabilities`
/// runs), and must get a typed error naming the layer and both shapes, with no step taken and no
/// weight changed, instead of a trap inside a layer or the loss.
final class ShapeMistakeTests: XCTestCase {
    /// One row: the model, the data's sample shape and classes, and what the error must say.
    private struct Row {
        var name: String
        var model: () -> any Layer
        var sampleShape: [Int]
        var classes = 3
        /// The `LayerShapeError`'s layer path, type and input shape, or nil for a `DataError`.
        var layer: (path: String, type: String, inputShape: [Int])?
        var fragments: [String]
    }

    private static func generator() -> RandomGenerator { RandomGenerator(seed: 3) }

    private let rows: [Row] = [
        Row(
            name: "RGB images into a grey-sized dense model",
            model: {
                var g = generator()
                return Sequential(Flatten(), Dense(inputSize: 64, outputSize: 3, generator: &g))
            }, sampleShape: [3, 8, 8], layer: ("1", "Dense", [192]),
            fragments: ["layer 1 (Dense) of the model", "[192]", "the data's samples are [3, 8, 8]", "64 inputs", "give it 192 inputs"]),
        Row(
            name: "RGB images into a grey convolution",
            model: {
                var g = generator()
                return Sequential(
                    Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &g), Flatten(),
                    Dense(inputSize: 72, outputSize: 3, generator: &g))
            }, sampleShape: [3, 8, 8], layer: ("0", "Conv2D", [3, 8, 8]),
            fragments: ["layer 0 (Conv2D) of the model", "1 input channels", "[3, 8, 8]", "give it images [1, height, width]"]),
        Row(
            name: "images of another size",
            model: {
                var g = generator()
                return Sequential(
                    Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &g), Flatten(),
                    Dense(inputSize: 72, outputSize: 3, generator: &g))
            }, sampleShape: [1, 10, 10], layer: ("2", "Dense", [128]),
            fragments: ["layer 2 (Dense) of the model", "[128]", "the data's samples are [1, 10, 10]", "72 inputs"]),
        Row(
            name: "a CSV wider than the model",
            model: {
                var g = generator()
                return Dense(inputSize: 4, outputSize: 3, generator: &g)
            }, sampleShape: [5], layer: ("", "Dense", [5]),
            fragments: ["the model (Dense) cannot take input of sample shape [5]", "4 inputs"]),
        Row(
            name: "layers that do not chain, nested",
            model: {
                var g = generator()
                return Sequential(
                    Sequential(Dense(inputSize: 4, outputSize: 5, generator: &g), ReLU()),
                    Sequential(Tanh(), Dense(inputSize: 6, outputSize: 3, generator: &g)))
            }, sampleShape: [4], layer: ("1.1", "Dense", [5]),
            fragments: ["layer 1.1 (Dense) of the model", "sample shape [5]", "the data's samples are [4]", "6 inputs"]),
        Row(
            name: "a custom container whose body does not keep the shape",
            model: {
                var g = generator()
                return Sequential(
                    ResidualBlock(Sequential(Dense(inputSize: 4, outputSize: 5, generator: &g))), Dense(inputSize: 4, outputSize: 3, generator: &g))
            }, sampleShape: [4], layer: ("0", "ResidualBlock", [4]),
            fragments: ["layer 0 (ResidualBlock) of the model", "the body turns [4] into [5]"]),
        Row(
            name: "fewer outputs than classes",
            model: {
                var g = generator()
                return Sequential(Dense(inputSize: 4, outputSize: 5, generator: &g), ReLU(), Dense(inputSize: 5, outputSize: 2, generator: &g))
            }, sampleShape: [4], classes: 4, layer: nil,
            fragments: ["is beyond the model's 2 outputs", "last layer, 2 (Dense)", "[2]", "one output per class"]),
        Row(
            name: "an image-shaped output",
            model: {
                var g = generator()
                return Conv2D(inputChannels: 1, outputChannels: 3, kernelSize: 3, generator: &g)
            }, sampleShape: [1, 5, 5], layer: nil,
            fragments: ["the model (Conv2D) gives samples of shape [3, 3, 3]", "one value per class", "Flatten"]),
        Row(
            name: "one logit for two classes under cross-entropy",
            model: {
                var g = generator()
                return Sequential(Dense(inputSize: 4, outputSize: 1, generator: &g))
            }, sampleShape: [4], classes: 2, layer: nil,
            fragments: ["label 1 is beyond the model's 1 output", "last layer, 0 (Dense)", "at least 2"]),
        // Unusable constructor arguments: the initialisers do not trap, the shape check refuses.
        Row(
            name: "a convolution with a zero kernel",
            model: {
                var g = generator()
                return Sequential(Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 0, generator: &g), Flatten())
            }, sampleShape: [1, 5, 5], layer: ("0", "Conv2D", [1, 5, 5]),
            fragments: [
                "layer 0 (Conv2D) of the model", "Conv2D(inputChannels:outputChannels:kernelSize:…): kernelSize is 0, not positive", "1 or more",
            ]),
        Row(
            name: "a convolution with a negative padding",
            model: {
                var g = generator()
                return Sequential(Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: -1, generator: &g), Flatten())
            }, sampleShape: [1, 5, 5], layer: ("0", "Conv2D", [1, 5, 5]),
            fragments: ["layer 0 (Conv2D)", "padding is -1, a negative padding"]),
        Row(
            name: "a pooling stride of 0",
            model: {
                var g = generator()
                return Sequential(MaxPool2D(kernelSize: 2, stride: 0), Flatten(), Dense(inputSize: 16, outputSize: 3, generator: &g))
            }, sampleShape: [1, 4, 4], layer: ("0", "MaxPool2D", [1, 4, 4]),
            fragments: ["layer 0 (MaxPool2D)", "MaxPool2D(kernelSize:stride:): stride is 0, not positive"]),
        Row(
            name: "an average pooling window of -2",
            model: { Sequential(AvgPool2D(kernelSize: -2), Flatten()) }, sampleShape: [1, 4, 4], layer: ("0", "AvgPool2D", [1, 4, 4]),
            fragments: ["AvgPool2D(kernelSize:stride:): kernelSize is -2, not positive"]),
        Row(
            name: "a dense layer of a negative size",
            model: {
                var g = generator()
                return Sequential(Flatten(), Dense(inputSize: -16, outputSize: 3, generator: &g))
            }, sampleShape: [1, 4, 4], layer: ("1", "Dense", [16]),
            fragments: ["layer 1 (Dense)", "[16]", "Dense(inputSize:outputSize:…): inputSize is -16, a negative size", "give inputSize 0 or more"]),
        Row(
            name: "initial weights of the wrong shape",
            model: {
                var g = generator()
                return Dense(inputSize: 4, outputSize: 3, weightInitializer: .values(Tensor(shape: [4, 3])), generator: &g)
            }, sampleShape: [4], layer: ("", "Dense", [4]),
            fragments: [
                "the model (Dense)", "weightInitializer holds values of shape [4, 3], but the parameter is [3, 4]", "give values of shape [3, 4]",
            ]),
        Row(
            name: "batch normalisation of -3 features",
            model: { Sequential(BatchNorm(features: -3)) }, sampleShape: [3], layer: ("0", "BatchNorm", [3]),
            fragments: ["layer 0 (BatchNorm)", "BatchNorm(features:momentum:epsilon:): features is -3, a negative size"]),
    ]

    /// `count` samples of `shape`, labelled 0, 1, … `classes - 1` in turn.
    private func data(_ shape: [Int], classes: Int, count: Int = 8) -> TensorDataset {
        TensorDataset(
            features: .random([count] + shape, seed: 7), labels: (0..<count).map { $0 % classes }, classNames: (0..<classes).map { "c\($0)" })
    }

    private func check(_ error: any Error, _ row: Row, _ route: String) {
        let text = "\(error)"
        for fragment in row.fragments { XCTAssertTrue(text.contains(fragment), "\(row.name), \(route): '\(fragment)' missing from: \(text)") }
        if let layer = row.layer {
            guard let shapeError = error as? LayerShapeError else { return XCTFail("\(row.name), \(route): \(type(of: error)): \(text)") }
            XCTAssertEqual(shapeError.layerPath, layer.path, "\(row.name), \(route)")
            XCTAssertEqual(shapeError.layerType, layer.type, "\(row.name), \(route)")
            XCTAssertEqual(shapeError.inputShape, layer.inputShape, "\(row.name), \(route)")
            XCTAssertEqual(shapeError.sampleShape, row.sampleShape, "\(row.name), \(route)")
        } else {
            XCTAssertTrue(error is DataError, "\(row.name), \(route): \(type(of: error)): \(text)")
        }
    }

    func testTrainingRefusesBeforeAnyUpdate() throws {
        for row in rows {
            let model = row.model()
            let before = model.namedParameters.map(\.parameter.value.scalars)
            var configuration = PipelineConfiguration()
            configuration.batchSize = 4
            configuration.epochs = 1
            configuration.waitTimeout = 30
            let pipeline = try BatchPipeline(dataset: data(row.sampleShape, classes: row.classes), configuration: configuration)
            let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1))
            XCTAssertThrowsError(try trainer.fit(pipeline), row.name) { check($0, row, "fit") }
            XCTAssertEqual(trainer.stepCount, 0, row.name)
            XCTAssertEqual(model.namedParameters.map(\.parameter.value.scalars), before, row.name)
            pipeline.cancel()
        }
    }

    func testEvaluationRefuses() throws {
        for row in rows {
            let source = DataSource.randomAccess(data(row.sampleShape, classes: row.classes))
            let names = (0..<row.classes).map { "c\($0)" }
            XCTAssertThrowsError(try Evaluation.run(model: row.model(), source: source, loss: SoftmaxCrossEntropy(), classNames: names), row.name) {
                check($0, row, "evaluation")
            }
        }
    }

    /// Prediction's forward pass (`TrainedModel.probabilities` runs `checkedOutput`): the layer
    /// rows only (prediction scores no labels).
    func testPredictionRefuses() {
        for row in rows where row.layer != nil {
            XCTAssertThrowsError(try row.model().checkedOutput(for: .random([2] + row.sampleShape, seed: 9)), row.name) {
                check($0, row, "prediction")
            }
        }
    }

    /// The data the rows' models were built for passes the same checks.
    func testFittingDataPasses() throws {
        var g = Self.generator()
        let model = Sequential(Flatten(), Dense(inputSize: 64, outputSize: 3, generator: &g))
        XCTAssertEqual(try model.checkedOutput(for: .random([2, 1, 8, 8], seed: 1)).shape, [2, 3])
        let evaluation = try Evaluation.run(
            model: model, source: .randomAccess(data([1, 8, 8], classes: 3)), loss: SoftmaxCrossEntropy(), classNames: ["a", "b", "c"])
        XCTAssertEqual(evaluation.count, 8)
    }
}
