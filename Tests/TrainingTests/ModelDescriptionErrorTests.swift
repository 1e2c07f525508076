import Layers
import Tensors
import Training
import XCTest

/// Models that cannot be described as layer entries: each row must throw a
/// `ModelDescriptionError` naming the layer's position (numbered as its parameters are), its
/// Swift type, what is wrong and what to do.
final class ModelDescriptionErrorTests: XCTestCase {
    /// One row: the model, the sample shape to check it for (nil: `entries(of:)` unchecked), and
    /// what the error must say.
    private struct Row {
        var name: String
        var model: (inout RandomGenerator) -> Sequential
        var sampleShape: [Int]? = nil
        var position: String?
        var type: String?
        var fragments: [String]
    }

    override func setUp() {
        DescribedLayers.register()
    }

    private let rows: [Row] = [
        Row(
            name: "a layer nobody registered",
            model: { Sequential(Dense(inputSize: 2, outputSize: 3, generator: &$0), Halve(), Dense(inputSize: 3, outputSize: 2, generator: &$0)) },
            position: "1", type: "Halve",
            fragments: [
                "layer 1 (Halve): Halve is not a registered layer type",
                #"LayerRegistry.register("halve", HalveSpecification.self, describing: { (layer: Halve) in HalveSpecification(...) })"#,
                #"LayerRegistry.register("halve", layer: Halve.self, making: { _ in Halve() })"#,
            ]),
        Row(
            name: "a layer nobody registered, in a nested Sequential", model: { _ in Sequential(Sequential(Halve()), Flatten()) },
            position: "0.0", type: "Halve", fragments: ["layer 0.0 (Halve): Halve is not a registered layer type"]),
        Row(
            name: "a nested Sequential with parameters",
            model: {
                Sequential(Dense(inputSize: 2, outputSize: 3, generator: &$0), Sequential(ReLU(), Dense(inputSize: 3, outputSize: 2, generator: &$0)))
            },
            position: "1.1", type: "Dense", fragments: ["its parameter '1.1.weight' would be '2.weight'", "saved weights would not load"]),
        Row(
            name: "a nested Sequential of two layers before a dense layer",
            model: { Sequential(Sequential(ReLU(), Sigmoid()), Dense(inputSize: 2, outputSize: 2, generator: &$0)) },
            position: "1", type: "Dense",
            fragments: ["its parameter '1.weight' would be '2.weight'", "put the layers of nested Sequentials straight"]),
        Row(
            name: "a dense layer without a bias", model: { Sequential(Dense(inputSize: 2, outputSize: 2, useBias: false, generator: &$0)) },
            position: "0", type: "Dense", fragments: ["layer 0 (Dense): as a dense entry: it has no bias", "useBias: true"]),
        Row(
            name: "a batch norm whose epsilon a pipeline file refuses", model: { _ in Sequential(Flatten(), BatchNorm(features: 4, epsilon: 0)) },
            position: "1", type: "BatchNorm", fragments: ["layer 1 (BatchNorm): as a batchnorm entry: key 'epsilon': 0.0 is not allowed"]),
        Row(
            name: "a convolution padded as much as its kernel",
            model: { Sequential(Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 1, padding: 1, generator: &$0)) },
            position: "0", type: "Conv2D", fragments: ["as a conv2d entry: key 'padding': 1 is not allowed: it must be less than the kernel (1)"]),
        Row(
            name: "a model that does not take the samples",
            model: {
                Sequential(
                    Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &$0), Dense(inputSize: 8, outputSize: 2, generator: &$0))
            },
            sampleShape: [1, 4, 4], position: "1", type: "Dense",
            fragments: ["it cannot take input of sample shape [2, 2, 2] (the samples are [1, 4, 4])", "flatten first"]),
        Row(
            name: "a registered specification that builds another shape",
            model: { Sequential(Dense(inputSize: 2, outputSize: 3, generator: &$0), LooseShift(features: 3)) }, sampleShape: [2],
            position: "1", type: "LooseShift",
            fragments: ["the model its layer entries build differs: tensor 2 is '1.offset' [3] in the model, '1.offset' [4] rebuilt"]),
    ]

    func testEachRowNamesTheLayerAndWhatToDo() {
        for row in rows {
            var generator = RandomGenerator(seed: 21)
            let model = row.model(&generator)
            XCTAssertThrowsError(
                try row.sampleShape.map { try ModelDescription.entries(of: model, sampleShape: $0, classes: 2) }
                    ?? ModelDescription.entries(of: model),
                row.name
            ) { error in
                guard let error = error as? ModelDescriptionError else { return XCTFail("\(row.name): \(error)") }
                XCTAssertEqual(error.position, row.position, row.name)
                XCTAssertEqual(error.layerType, row.type, row.name)
                for fragment in row.fragments {
                    XCTAssertTrue(error.description.contains(fragment), "\(row.name): '\(fragment)' missing from: \(error)")
                }
            }
        }
    }

    /// Unchecked, the rows with a sample shape describe (their problems need the data's shape).
    func testTheShapeRowsDescribeWithoutASampleShape() throws {
        for row in rows where row.sampleShape != nil {
            var generator = RandomGenerator(seed: 21)
            XCTAssertEqual(try ModelDescription.entries(of: row.model(&generator)).count, 2, row.name)
        }
    }
}
