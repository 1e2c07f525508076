import Checkpoints
import Foundation
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// Models built in code, described as layer entries (`ModelDescription`): the entries are the
/// JSON a pipeline file would hold, and `ModelBuilder` rebuilds from them a model with the same
/// parameter and buffer names and shapes, into which the code model's weights load and give
/// bit-identical outputs.
final class ModelDescriptionTests: XCTestCase {
    override func setUp() {
        DescribedLayers.register()
    }

    /// A pipeline file for XOR-shaped data, its layers replaced by the test's.
    static func configuration(layers: [RunConfiguration.LayerEntry]) throws -> RunConfiguration {
        let text = #"""
            {"name": "described", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0, "shuffle": false, "threads": 1},
             "model": {"layers": [{"type": "dense"}]}, "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.5},
             "epochs": 1, "seed": 3}
            """#
        var configuration = try RunConfiguration.decode(Data(text.utf8), path: "described.json")
        configuration.model.layers = layers
        return configuration
    }

    /// Each entry as sorted-key JSON.
    private func json(_ entries: [RunConfiguration.LayerEntry]) throws -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try entries.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
    }

    /// Describes `model` (checked for `sampleShape`), asserts the entries' JSON, rebuilds the
    /// model from them, asserts its tensors' names and shapes, loads the code model's tensors into
    /// it and asserts bit-identical inference outputs for `input`.
    private func assertRebuilds(
        _ model: Sequential, sampleShape: [Int], classes: Int, json expectedJSON: [String], tensors: [(String, [Int])], input: Tensor,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let entries = try ModelDescription.entries(of: model, sampleShape: sampleShape, classes: classes)
        XCTAssertEqual(try json(entries), expectedJSON, file: file, line: line)
        XCTAssertEqual(try json(ModelDescription.entries(of: model)), expectedJSON, "unchecked", file: file, line: line)
        let rebuilt = try ModelBuilder.build(entries, sampleShape: sampleShape, classes: classes, seed: 77)
        for state in [model.stateTensors(), rebuilt.stateTensors()] {
            XCTAssertEqual(state.map(\.name), tensors.map(\.0), file: file, line: line)
            XCTAssertEqual(state.map(\.tensor.shape), tensors.map(\.1), file: file, line: line)
        }
        XCTAssertNotEqual(rebuilt(input).scalars, model(input).scalars, "the rebuilt model starts with other weights", file: file, line: line)
        let report = try rebuilt.loadState(model.stateTensors())
        XCTAssertEqual(report.loaded, tensors.map(\.0), file: file, line: line)
        let expected = model(input)
        let output = rebuilt(input)
        XCTAssertEqual(output.shape, expected.shape, file: file, line: line)
        XCTAssertEqual(output.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), file: file, line: line)
    }

    func testAnMLPRebuildsWithTheSameNamesShapesAndOutputs() throws {
        var g = RandomGenerator(seed: 11)
        let model = Sequential(
            Flatten(), Dense(inputSize: 12, outputSize: 8, generator: &g), ReLU(), try Dropout(probability: 0.25),
            Dense(inputSize: 8, outputSize: 3, generator: &g), Softmax())
        try assertRebuilds(
            model, sampleShape: [3, 2, 2], classes: 3,
            json: [
                #"{"type":"flatten"}"#, #"{"type":"dense","units":8}"#, #"{"type":"relu"}"#, #"{"probability":0.25,"type":"dropout"}"#,
                #"{"type":"dense","units":3}"#, #"{"type":"softmax"}"#,
            ],
            tensors: [("1.weight", [8, 12]), ("1.bias", [8]), ("4.weight", [3, 8]), ("4.bias", [3])], input: .random([4, 3, 2, 2], seed: 5))
    }

    func testACNNWithBatchNormRebuildsWithItsBuffers() throws {
        var g = RandomGenerator(seed: 12)
        let normalization = BatchNorm(features: 4, momentum: 0.2, epsilon: 0.001)
        normalization.weight.value = Tensor([1.5, 0.5, -1, 2])
        normalization.bias.value = Tensor([0.1, 0.2, -0.3, 0])
        normalization.runningMean.value = Tensor([0.1, -0.2, 0.3, 0.05])
        normalization.runningVariance.value = Tensor([0.5, 2, 1.25, 0.8])
        let model = Sequential(
            Conv2D(inputChannels: 2, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1, generator: &g), normalization, ReLU(),
            MaxPool2D(kernelSize: 2), Flatten(), Dense(inputSize: 36, outputSize: 5, generator: &g))
        try assertRebuilds(
            model, sampleShape: [2, 6, 6], classes: 5,
            json: [
                #"{"filters":4,"kernel":3,"padding":1,"stride":1,"type":"conv2d"}"#, #"{"epsilon":0.001,"momentum":0.2,"type":"batchnorm"}"#,
                #"{"type":"relu"}"#, #"{"kernel":2,"stride":2,"type":"maxpool"}"#, #"{"type":"flatten"}"#, #"{"type":"dense","units":5}"#,
            ],
            tensors: [
                ("0.weight", [4, 2, 3, 3]), ("0.bias", [4]), ("1.weight", [4]), ("1.bias", [4]), ("5.weight", [5, 36]), ("5.bias", [5]),
                ("1.running_mean", [4]), ("1.running_var", [4]), ("1.num_batches_tracked", []),
            ],
            input: .random([3, 2, 6, 6], seed: 6))
    }

    func testTheOtherBuiltInLayersRebuild() throws {
        var g = RandomGenerator(seed: 13)
        let model = Sequential(
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, generator: &g), AvgPool2D(kernelSize: 2, stride: 1),
            Sigmoid(), Tanh(), GlobalAvgPool(), Dense(inputSize: 2, outputSize: 3, generator: &g))
        try assertRebuilds(
            model, sampleShape: [1, 8, 8], classes: 3,
            json: [
                #"{"filters":2,"kernel":3,"padding":1,"stride":2,"type":"conv2d"}"#, #"{"kernel":2,"stride":1,"type":"avgpool"}"#,
                #"{"type":"sigmoid"}"#, #"{"type":"tanh"}"#, #"{"type":"global-avgpool"}"#, #"{"type":"dense","units":3}"#,
            ],
            tensors: [("0.weight", [2, 1, 3, 3]), ("0.bias", [2]), ("5.weight", [3, 2]), ("5.bias", [3])], input: .random([2, 1, 8, 8], seed: 7))
    }

    func testRegisteredUserLayersRebuild() throws {
        var g = RandomGenerator(seed: 14)
        let shift = Shift(features: 4)
        shift.offset.value = Tensor([0.25, -0.5, 0.125, 1])
        let model = Sequential(Dense(inputSize: 2, outputSize: 4, generator: &g), shift, Cube(), Dense(inputSize: 4, outputSize: 2, generator: &g))
        try assertRebuilds(
            model, sampleShape: [2], classes: 2,
            json: [#"{"type":"dense","units":4}"#, #"{"type":"shift"}"#, #"{"type":"cube"}"#, #"{"type":"dense","units":2}"#],
            tensors: [("0.weight", [4, 2]), ("0.bias", [4]), ("1.offset", [4]), ("3.weight", [2, 4]), ("3.bias", [2])],
            input: .random([5, 2], seed: 8))
    }

    func testANestedSequentialThatKeepsTheNamesIsOpened() throws {
        var g = RandomGenerator(seed: 15)
        let model = Sequential(Sequential(Flatten()), Dense(inputSize: 4, outputSize: 2, generator: &g), Sequential(ReLU(), Softmax()))
        try assertRebuilds(
            model, sampleShape: [1, 2, 2], classes: 2,
            json: [#"{"type":"flatten"}"#, #"{"type":"dense","units":2}"#, #"{"type":"relu"}"#, #"{"type":"softmax"}"#],
            tensors: [("1.weight", [2, 4]), ("1.bias", [2])], input: .random([3, 1, 2, 2], seed: 9))
    }

    func testTheDescriptionRoundTripsThroughTheConfigurationJSON() throws {
        var g = RandomGenerator(seed: 16)
        let model = Sequential(
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 2, generator: &g), BatchNorm(features: 2, momentum: 0.3, epsilon: 0.01),
            MaxPool2D(kernelSize: 2, stride: 1), try Dropout(probability: 0.1), Flatten(), Dense(inputSize: 8, outputSize: 4, generator: &g),
            Shift(features: 4), Cube(), Dense(inputSize: 4, outputSize: 2, generator: &g))
        let configuration = try Self.configuration(layers: ModelDescription.entries(of: model))
        let decoded = try JSONDecoder().decode(RunConfiguration.self, from: JSONEncoder().encode(configuration))
        XCTAssertEqual(decoded, configuration)
        XCTAssertEqual(decoded.model.layers.map(\.type), ["conv2d", "batchnorm", "maxpool", "dropout", "flatten", "dense", "shift", "cube", "dense"])
        XCTAssertTrue(decoded.model.layers[6].specification is ShiftSpecification)
        let saved = try RunConfiguration.decode(Data(configuration.jsonText().utf8), path: "saved.json")
        XCTAssertEqual(saved, configuration)
        XCTAssertEqual((saved.model.layers[1].specification as? BatchNormSpecification)?.epsilon, 0.01)
    }

    /// A checkpoint of a code-built model whose configuration holds its description loads in
    /// `TrainedModel.load`, which predicts as the code model does.
    func testACheckpointOfACodeBuiltModelLoads() throws {
        var g = RandomGenerator(seed: 17)
        let model = Sequential(
            Dense(inputSize: 2, outputSize: 4, generator: &g), Shift(features: 4, initial: 0.3), Tanh(),
            Dense(inputSize: 4, outputSize: 2, generator: &g))
        let configuration = try Self.configuration(layers: ModelDescription.entries(of: model, sampleShape: [2], classes: 2))
        let directory = try TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.url.path)
        try store.save(
            TrainingCheckpoint.contents(
                model: model, optimizer: SGD(learningRate: 0.5), step: 1, epoch: 1, pipelineState: nil,
                hyperparameters: ["sample_shape": "2", "class_names": #"["no","yes"]"#], configuration: configuration.jsonText()))
        try store.waitUntilSaved()
        let loaded = try TrainedModel.load(directory.url.path)
        XCTAssertEqual(loaded.classNames, ["no", "yes"])
        XCTAssertEqual(loaded.model.stateTensors(), model.stateTensors())
        let input = Tensor.random([6, 2], seed: 10)
        XCTAssertEqual(try loaded.probabilities(input).scalars.map(\.bitPattern), Softmax()(model(input)).scalars.map(\.bitPattern))
    }
}
