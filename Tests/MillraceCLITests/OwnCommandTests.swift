import Foundation
import TestSupport
import XCTest

/// A package's own `millrace` (Examples/OwnMillrace: a main.swift registering two layer types of
/// its own, `layer-norm` with parameters and the container `skip-block` (y = x + body(x)), then running
/// `MillraceCommand.main`): the whole command with those layers, which the stock `millrace` does
/// not know. OwnDigitsTests train its code-built digits model.
final class OwnCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private let own = BuiltProducts.executable("OwnMillrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// A pipeline file on XOR (4 samples, one full batch a step) whose third and fourth layers
    /// are the example's own, written as `layerNorm` and `skipBlock` (JSON objects).
    private func pipeline(
        layerNorm: String = #"{"type": "layer-norm"}"#,
        skipBlock: String = #"{"type": "skip-block", "layers": [{"type": "dense", "units": 4}, {"type": "tanh"}]}"#
    ) throws -> String {
        let path = directory.path("own-xor.json").path
        try #"""
        {"name": "own-xor", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0, "shuffle": false, "threads": 1},
         "model": {"layers": [{"type": "dense", "units": 4}, {"type": "tanh"}, \#(layerNorm), \#(skipBlock), {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.5}, "epochs": 5, "seed": 3}
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testOwnCommandTrainsWithItsLayersWhereTheStockCommandRefusesThem() throws {
        let file = try pipeline()
        let stock = try BuiltProducts.run(millrace, ["train", file, "--run-dir", directory.path("stock").path, "--quiet"])
        XCTAssertEqual(stock.status, 1, stock.errors)
        for fragment in ["own-xor.json", "model.layers[2].type", "unknown layer type 'layer-norm'", #"`LayerRegistry.register("layer-norm", ...)`"#] {
            XCTAssertTrue(stock.errors.contains(fragment), "\(fragment) not in \(stock.errors)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("stock/checkpoints").path))

        let run = directory.path("own")
        let trained = try BuiltProducts.run(own, ["train", file, "--run-dir", run.path, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertEqual(trained.errors, "")
        // 5 epochs of one step each: the last checkpoint is step 5, with the own layers' tensors
        // (layer 2's gain and bias, the skip block body's dense layer at 3.0.0).
        let checkpoint = run.appendingPathComponent("checkpoints/step-000000005")
        let header = try String(decoding: Data(contentsOf: checkpoint.appendingPathComponent("model.safetensors")).prefix(2000), as: UTF8.self)
        for name in ["\"2.gain\"", "\"2.bias\"", "\"3.0.0.weight\"", "\"3.0.0.bias\""] {
            XCTAssertTrue(header.contains(name), "\(name) not in \(header)")
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains(#""kind":"epoch""#) }.count, 5, metrics)
    }

    func testOwnLayersSettingsAreCheckedLikeTheBuiltInOnes() throws {
        let cases: [(layerNorm: String?, skipBlock: String?, fragments: [String])] = [
            (#"{"type": "layer-norm", "epsilon": 1}"#, nil, ["model.layers[2].epsilon", "unknown key"]),
            (nil, #"{"type": "skip-block", "layer": []}"#, ["model.layers[3].layer", "unknown key", "layers"]),
            (nil, #"{"type": "skip-block", "layers": 3}"#, ["model.layers[3].layers"]),
            (nil, #"{"type": "skip-block", "layers": [{"type": "dense", "units": 0}]}"#, ["model.layers[3].layers[0].units"]),
            (nil, #"{"type": "skip-block", "layers": [{"type": "dens"}]}"#, ["model.layers[3].layers[0].type", "unknown layer type 'dens'"]),
            // The body must keep the shape: 4 features in, 3 out.
            (nil, #"{"type": "skip-block", "layers": [{"type": "dense", "units": 3}]}"#, ["model.layers[3]", "[4] into [3]"]),
        ]
        for (layerNorm, skipBlock, fragments) in cases {
            var file: String
            switch (layerNorm, skipBlock) {
            case (let layerNorm?, _): file = try pipeline(layerNorm: layerNorm)
            case (_, let skipBlock?): file = try pipeline(skipBlock: skipBlock)
            default: file = try pipeline()
            }
            let result = try BuiltProducts.run(own, ["train", file, "--run-dir", directory.path("bad").path])
            let label = layerNorm ?? skipBlock ?? ""
            XCTAssertEqual(result.status, 1, label)
            for fragment in fragments + ["own-xor.json"] {
                XCTAssertTrue(result.errors.contains(fragment), "\(label): \(fragment) not in \(result.errors)")
            }
            XCTAssertEqual(result.errors.filter { $0 == "\n" }.count, 1, result.errors)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("bad/checkpoints").path), label)
        }
    }

    func testOwnCommandHasEverySubcommand() throws {
        let help = try BuiltProducts.run(own, ["--help"])
        XCTAssertEqual(help.status, 0, help.errors)
        for subcommand in ["train", "evaluate", "predict", "inspect", "pack", "report", "bench"] {
            XCTAssertTrue(help.output.contains("  \(subcommand) "), "\(subcommand) not in \(help.output)")
        }
    }
}
