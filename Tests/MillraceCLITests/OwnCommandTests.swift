import Foundation
import TestSupport
import XCTest

/// A package's own `millrace` (Examples/OwnMillrace: a main.swift of a few lines registering a
/// `scale` layer, then `MillraceCommand.main`): the whole command with one more layer type, which
/// the stock `millrace` does not know.
final class OwnCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private let own = BuiltProducts.executable("OwnMillrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// A pipeline file on XOR (4 samples, one full batch a step) whose third layer is `scale`
    /// with `settings` (its JSON members after `type`).
    private func pipeline(scale settings: String = #", "factor": 0.5"#) throws -> String {
        let path = directory.path("scale-xor.json").path
        try #"""
        {"name": "scale-xor", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0, "shuffle": false, "threads": 1},
         "model": {"layers": [{"type": "dense", "units": 4}, {"type": "tanh"}, {"type": "scale"\#(settings)}, {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.5}, "epochs": 5, "seed": 3}
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testOwnCommandTrainsWithItsLayerWhereTheStockCommandRefusesIt() throws {
        let file = try pipeline()
        let stock = try BuiltProducts.run(millrace, ["train", file, "--run-dir", directory.path("stock").path, "--quiet"])
        XCTAssertEqual(stock.status, 1, stock.errors)
        XCTAssertTrue(stock.errors.contains("scale-xor.json"), stock.errors)
        XCTAssertTrue(stock.errors.contains("model.layers[2].type"), stock.errors)
        XCTAssertTrue(stock.errors.contains("unknown layer type 'scale'"), stock.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("stock/checkpoints").path))

        let run = directory.path("own")
        let trained = try BuiltProducts.run(own, ["train", file, "--run-dir", run.path, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertEqual(trained.errors, "")
        // 5 epochs of one step each: the last checkpoint is step 5.
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/step-000000005").path))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains(#""kind":"epoch""#) }.count, 5, metrics)
    }

    func testOwnLayersSettingsAreCheckedLikeTheBuiltInOnes() throws {
        for (settings, fragments) in [
            (#", "factor": -1"#, ["model.layers[2].factor", "-1"]),
            (#", "facter": 2"#, ["model.layers[2].facter", "unknown key"]),
        ] {
            let result = try BuiltProducts.run(own, ["train", try pipeline(scale: settings), "--run-dir", directory.path("bad").path])
            XCTAssertEqual(result.status, 1, settings)
            for fragment in fragments + ["scale-xor.json"] {
                XCTAssertTrue(result.errors.contains(fragment), "\(settings): \(fragment) not in \(result.errors)")
            }
            XCTAssertEqual(result.errors.filter { $0 == "\n" }.count, 1, result.errors)
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
