import Foundation
import Layers
import Tensors
import XCTest

@testable import Training

/// `residual` in pipeline files: nested layers built from the run's generator, errors naming the
/// nested key, shapes checked, and code-built blocks described back into entries.
final class ResidualSpecificationTests: XCTestCase {
    private func configuration(layers: String) throws -> RunConfiguration {
        let text = """
            {"name": "r", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0}, "model": {"layers": \(layers)},
             "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 1}, "epochs": 1, "seed": 1}
            """
        return try RunConfiguration.decode(Data(text.utf8), path: "test.json")
    }

    private func entries(_ json: String) throws -> [RunConfiguration.LayerEntry] {
        try configuration(layers: json).model.layers
    }

    /// A basic block with a projection shortcut, as ResNets have where the shape changes.
    private let projection = """
        [{"type": "conv2d", "filters": 4, "padding": 1, "bias": false},
         {"type": "residual",
          "layers": [{"type": "conv2d", "filters": 8, "stride": 2, "padding": 1, "bias": false}, {"type": "batchnorm"}, {"type": "relu"},
                     {"type": "conv2d", "filters": 8, "padding": 1, "bias": false}, {"type": "batchnorm"}],
          "shortcut": [{"type": "conv2d", "filters": 8, "kernel": 1, "stride": 2, "bias": false}, {"type": "batchnorm"}],
          "activation": "relu"},
         {"type": "global-avgpool"}, {"type": "dense"}]
        """

    func testABlockWithAProjectionShortcutBuildsWithTheShapesAndNamesItDescribes() throws {
        let model = try ModelBuilder.build(try entries(projection), sampleShape: [3, 8, 8], classes: 5, seed: 2)
        XCTAssertEqual(
            model.namedParameters.map { "\($0.name) \($0.parameter.value.shape)" },
            [
                "0.weight [4, 3, 3, 3]", "1.body.0.weight [8, 4, 3, 3]", "1.body.1.weight [8]", "1.body.1.bias [8]", "1.body.3.weight [8, 8, 3, 3]",
                "1.body.4.weight [8]", "1.body.4.bias [8]", "1.shortcut.0.weight [8, 4, 1, 1]", "1.shortcut.1.weight [8]", "1.shortcut.1.bias [8]",
                "3.weight [5, 8]", "3.bias [5]",
            ])
        XCTAssertEqual(try model.outputShape(forInputShape: [3, 8, 8]), [5])
        // Described back, the entries rebuild the same tensors from the same seed.
        let described = try ModelDescription.entries(of: model, sampleShape: [3, 8, 8], classes: 5)
        let rebuilt = try ModelBuilder.build(described, sampleShape: [3, 8, 8], classes: 5, seed: 2)
        XCTAssertEqual(rebuilt.namedParameters.map(\.parameter.value), model.namedParameters.map(\.parameter.value))
        XCTAssertEqual(try configuration(layers: String(decoding: JSONEncoder().encode(described), as: UTF8.self)).model.layers.count, 4)
    }

    func testBlocksNestAndTheirErrorsNameTheNestedKey() throws {
        let nested = #"[{"type": "residual", "layers": [{"type": "residual", "layers": [{"type": "dense", "units": 2}]}]}, {"type": "dense"}]"#
        let model = try ModelBuilder.build(try entries(nested), sampleShape: [2], classes: 2, seed: 1)
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.body.0.body.0.weight", "0.body.0.body.0.bias", "1.weight", "1.bias"])
        let cases: [(String, [String])] = [
            (#"[{"type": "residual", "layers": [{"type": "dense", "units": 0}]}]"#, ["model.layers[0].layers[0].units"]),
            (#"[{"type": "residual", "layers": []}]"#, ["model.layers[0].layers", "at least one layer"]),
            (#"[{"type": "residual", "layers": [{"type": "relu"}], "activation": "gelu"}]"#, ["model.layers[0].activation", "relu, tanh, sigmoid"]),
            (#"[{"type": "residual", "layers": [{"type": "relu"}], "shortcut": [{"type": "dens"}]}]"#, ["model.layers[0].shortcut[0].type"]),
            (#"[{"type": "conv2d", "filters": 2, "bias": 0}]"#, ["model.layers[0].bias"]),
        ]
        for (layers, fragments) in cases {
            XCTAssertThrowsError(try configuration(layers: layers), layers) { error in
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(fragment) not in \(error)") }
            }
        }
    }

    func testShapesThatCannotBeAddedAreRefusedWhenTheModelIsBuilt() throws {
        let cases: [(String, [String])] = [
            (#"[{"type": "residual", "layers": [{"type": "dense", "units": 3}]}]"#, ["layers[0]", "[2] into [3]", "shortcut"]),
            (
                #"[{"type": "residual", "layers": [{"type": "dense", "units": 3}], "shortcut": [{"type": "dense", "units": 4}]}]"#,
                ["layers[0]", "the shortcut's output [4]"]
            ),
            (#"[{"type": "residual", "layers": [{"type": "residual", "layers": [{"type": "maxpool"}]}]}]"#, ["layers[0].layers[0].layers[0]"]),
        ]
        for (layers, fragments) in cases {
            XCTAssertThrowsError(try ModelBuilder.build(try entries(layers), sampleShape: [2], classes: 2, seed: 1), layers) { error in
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(fragment) not in \(error)") }
            }
        }
    }

    /// The parameter budget reaches inside blocks: a convolution of 10^9 filters in a block's body
    /// is refused before its weights (over 100 GB) are allocated, naming its nested key.
    func testALayerTooLargeForTheMemoryIsRefusedInsideABlockBeforeItIsMade() throws {
        let layers = try entries(#"[{"type": "residual", "layers": [{"type": "conv2d", "filters": 1000000000, "padding": 1}, {"type": "relu"}]}]"#)
        XCTAssertThrowsError(try ModelBuilder.assemble(layers, sampleShape: [3, 8, 8], classes: 2, seed: 1, memoryLimit: 1 << 20)) { error in
            let text = "\(error)"
            for fragment in ["model.layers[0].layers[0].filters", "the model's parameters up to this layer", "more than the 1.0 MiB"] {
                XCTAssertTrue(text.contains(fragment), "\(fragment) not in \(text)")
            }
        }
    }
}
