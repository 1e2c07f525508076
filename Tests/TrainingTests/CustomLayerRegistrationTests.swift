import Foundation
import Layers
import Tensors
import TestSupport
import Training
import XCTest

/// `{"type": "prelu", "initial_slope": 0.1}`.
struct PReLUSpecification: LayerSpecification, KeyedSettings {
    @Setting("initial_slope", .atLeast(0)) var initialSlope: Float? = nil

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        PReLU(features: context.inputShape.reduce(1, *), initialSlope: initialSlope ?? 0.25)
    }
}

/// `{"type": "prelu-coded", "initial_slope": 0.1}`: the same layer specified the way written
/// before `KeyedSettings` (a `Decodable` struct whose `CodingKeys` list the keys).
struct CodedPReLUSpecification: LayerSpecification, Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case initialSlope = "initial_slope"
    }
    var initialSlope: Float?

    func validate() throws {
        if let initialSlope { try SpecificationError.require(initialSlope >= 0, "initial_slope", initialSlope, mustBe: "0 or more") }
    }

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        PReLU(features: context.inputShape.reduce(1, *), initialSlope: initialSlope ?? 0.25)
    }
}

final class CustomLayerRegistrationTests: XCTestCase {
    private let pipeline = #"""
        {"name": "prelu-xor", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0, "shuffle": false, "threads": 1},
         "model": {"layers": [{"type": "dense", "units": 4}, {"type": "prelu", "initial_slope": 0.1}, {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.5}, "epochs": 30, "seed": 3}
        """#

    override func setUp() {
        LayerRegistry.register("prelu", PReLUSpecification.self)
        LayerRegistry.register("prelu-coded", CodedPReLUSpecification.self)
    }

    func testARegisteredLayerBuildsFromAPipelineFile() throws {
        let configuration = try RunConfiguration.decode(Data(pipeline.utf8), path: "prelu.json")
        XCTAssertEqual(configuration.model.layers[1].type, "prelu")
        let model = try configuration.makeModel(for: DataSummary(sampleCount: 4, classCount: 2, sampleShape: [2]))
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "1.slope", "2.weight", "2.bias"])
        XCTAssertEqual(model.namedParameters[2].parameter.value.scalars, [0.1, 0.1, 0.1, 0.1])
        XCTAssertEqual(model.namedParameters[3].parameter.value.shape, [2, 4])
        // The saved configuration names the layer and its setting, and decodes back.
        XCTAssertTrue(configuration.jsonText().contains(#""initial_slope" : 0.1"#), configuration.jsonText())
        XCTAssertEqual(try RunConfiguration.decode(Data(configuration.jsonText().utf8), path: "saved"), configuration)
    }

    func testARegisteredLayerGetsTheUnknownKeyAndValueChecks() {
        for type in ["prelu", "prelu-coded"] {
            for (replacement, key, reason) in [
                (#""initial_slope": 0.1, "slope": 1"#, "model.layers[1].slope", "unknown key"),
                (#""initial_slope": -1"#, "model.layers[1].initial_slope", "-1.0 is not allowed: it must be 0 or more"),
            ] {
                let text = pipeline.replacingOccurrences(of: #""prelu", "initial_slope": 0.1"#, with: #""\#(type)", \#(replacement)"#)
                XCTAssertThrowsError(try RunConfiguration.decode(Data(text.utf8), path: "prelu.json")) { error in
                    let error = error as? RunConfigurationError
                    XCTAssertEqual(error?.key, key, type)
                    XCTAssertEqual(error?.reason, reason, type)
                    if reason == "unknown key" { XCTAssertEqual(error?.fix, "use one of: initial_slope, type", type) }
                }
            }
        }
    }

    func testALayerSpecifiedByItsCodingKeysStillDecodesAndSavesTheSame() throws {
        let coded = pipeline.replacingOccurrences(of: #""type": "prelu""#, with: #""type": "prelu-coded""#)
        let configuration = try RunConfiguration.decode(Data(coded.utf8), path: "prelu.json")
        XCTAssertEqual((configuration.model.layers[1].specification as? CodedPReLUSpecification)?.initialSlope, 0.1)
        let keyed = try RunConfiguration.decode(Data(pipeline.utf8), path: "prelu.json")
        XCTAssertEqual(
            configuration.jsonText(), keyed.jsonText().replacingOccurrences(of: #""type" : "prelu""#, with: #""type" : "prelu-coded""#))
        XCTAssertEqual(try RunConfiguration.decode(Data(configuration.jsonText().utf8), path: "saved"), configuration)
    }

    func testARegisteredLayerTrainsThroughATrainingRun() throws {
        let directory = try TemporaryDirectory()
        let configuration = try RunConfiguration.decode(Data(pipeline.utf8), path: "prelu.json")
        var overrides = TrainingOverrides()
        overrides.runDirectory = directory.path("run").path
        let run = try TrainingRun(configuration: configuration, overrides: overrides, path: "prelu.json")
        let slope = try XCTUnwrap(run.model.namedParameters.first { $0.name == "1.slope" }?.parameter)
        let summary = try run.run(reporter: ProgressReporter(isTerminal: false, verbosity: .quiet))
        XCTAssertEqual(summary.steps, 30)  // full batch: one step an epoch
        XCTAssertEqual(summary.epochs, 30)
        // The slope is trained: some hidden unit saw negative inputs and moved its slope.
        XCTAssertTrue(slope.value.scalars.contains { $0 != 0.1 }, "\(slope.value.scalars)")
        let metrics = try String(contentsOfFile: directory.path("run").path + "/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains("\"kind\":\"epoch\"") }.count, 30)
    }
}
