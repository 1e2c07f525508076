import Foundation
import TestSupport
import XCTest

/// The `millrace` command as users run it: the built binary, the shipped pipeline files.
final class TrainCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    /// The repository root (the tests run the shipped files from it).
    private var root: String {
        Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent().path
    }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        FileManager.default.changeCurrentDirectoryPath(root)
    }

    private func train(_ pipeline: String, _ extra: [String]) throws -> [String: Any] {
        let result = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", directory.path(pipeline).path, "--json", "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, "\(pipeline): \(result.errors)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
    }

    func testEveryShippedPipelineTrains() throws {
        for (pipeline, epochs) in [
            ("pipelines/digits-mlp.json", "3"), ("pipelines/digits-cnn.json", "1"), ("pipelines/digits-csv.json", "3"),
            ("pipelines/xor-seed.json", "20"),
        ] {
            let summary = try train(pipeline, ["--epochs", epochs])
            XCTAssertEqual(summary["epochs"] as? Int, Int(epochs), pipeline)
            XCTAssertNotNil(summary["checkpoint"] as? String, pipeline)
            XCTAssertNotNil(summary["samples_per_second"] as? Double, pipeline)
            if pipeline.contains("digits") {
                XCTAssertGreaterThan(summary["final_validation_accuracy"] as? Double ?? 0, 0.5, pipeline)
            }
            let metrics = try String(contentsOfFile: directory.path(pipeline).path + "/metrics.jsonl", encoding: .utf8)
            XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains("\"kind\":\"epoch\"") }.count, Int(epochs), pipeline)
        }
    }

    func testXORSeedPipelinePrintsTheSeedsLossCurve() throws {
        let result = try BuiltProducts.run(millrace, ["train", "pipelines/xor-seed.json", "--run-dir", directory.path("xor").path])
        XCTAssertEqual(result.status, 0, result.errors)
        // The float64 reference (Tests/Fixtures/xor-seed.json): 1.5991360 at step 0, 0.9506242 at step 100.
        // Progress and the printed loss curve go to standard error (standard output is for --json).
        XCTAssertTrue(result.errors.contains("step    0  loss 1.599136"), result.errors)
        XCTAssertTrue(result.errors.contains("step  100  loss 0.9506"), result.errors)
    }

    func testUnknownKeysAndWrongTypesNameTheKeyAndFile() throws {
        let bad = directory.path("bad.json").path
        try
            #"{"name": "x", "dataset": {"kind": "xor", "colour": 1}, "pipeline": {"batch_size": 4}, "model": {"layers": [{"type": "dense"}]}, "loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 1}, "epochs": 1, "seed": 1}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        var result = try BuiltProducts.run(millrace, ["train", bad])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(
            result.errors.contains("bad.json") && result.errors.contains("dataset.colour") && result.errors.contains("unknown key"), result.errors)
        try
            #"{"name": "x", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": "four"}, "model": {"layers": [{"type": "dense"}]}, "loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 1}, "epochs": 1, "seed": 1}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        result = try BuiltProducts.run(millrace, ["train", bad])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("pipeline.batch_size") && result.errors.contains("integer"), result.errors)
        result = try BuiltProducts.run(millrace, ["train", "pipelines/digits-mlp.json", "--data", "/no/such/folder"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("/no/such/folder"), result.errors)
    }

    /// A folder of 28x28 grayscale digits (an MNIST-like layout the shipped files never saw)
    /// trains with only --data and --validation changed.
    func testANewMNISTLikeFolderTrainsWithOnlyDataAndValidation() throws {
        for split in ["train", "test"] {
            for label in 0..<3 {
                let folder = directory.path("mnist/\(split)/\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for index in 0..<(split == "train" ? 30 : 10) {
                    // Class c: a bright horizontal bar at rows 4 + 8c, with per-image noise.
                    let pixels = (0..<(28 * 28)).map { p -> UInt8 in
                        let row = p / 28
                        let bar = abs(row - (4 + 8 * label)) < 3 ? 200 : 20
                        return UInt8(min(255, bar + (p * 31 + index * 17) % 40))
                    }
                    try PNGWriter.writeGray(width: 28, height: 28, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
                }
            }
        }
        let summary = try train(
            "pipelines/digits-mlp.json",
            [
                "--data", directory.path("mnist/train").path,
                "--validation", directory.path("mnist/test").path, "--epochs", "5",
            ])
        XCTAssertGreaterThanOrEqual(summary["final_validation_accuracy"] as? Double ?? 0, 0.9)
    }

    func testEvaluatePredictAndInspect() throws {
        _ = try train("pipelines/digits-mlp.json", ["--epochs", "3"])
        let checkpoints = directory.path("pipelines/digits-mlp.json").path + "/checkpoints"
        let evaluation = try BuiltProducts.run(millrace, ["evaluate", checkpoints, "--data", "datasets/digits", "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.errors)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any])
        XCTAssertEqual(report["count"] as? Int, 1797)
        XCTAssertGreaterThan(report["accuracy"] as? Double ?? 0, 0.8)
        XCTAssertEqual((report["per_class"] as? [Any])?.count, 10)
        let prediction = try BuiltProducts.run(millrace, ["predict", checkpoints, "datasets/digits/3/0003.png", "--top", "3", "--json"])
        XCTAssertEqual(prediction.status, 0, prediction.errors)
        let predicted = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(prediction.output.utf8)) as? [String: Any])
        let first = try XCTUnwrap((predicted["results"] as? [[String: Any]])?.first?["predictions"] as? [[String: Any]])
        XCTAssertEqual(first.count, 3)
        let inspected = try BuiltProducts.run(millrace, ["inspect", checkpoints, "--json"])
        XCTAssertEqual(inspected.status, 0, inspected.errors)
        XCTAssertTrue(inspected.output.contains("\"1.weight\""), inspected.output)  // layer 0 is the automatic flatten
        let folder = try BuiltProducts.run(millrace, ["inspect", "datasets/digits", "--json"])
        XCTAssertTrue(folder.output.contains("\"8x8\":1797"), folder.output)
    }

    func testInterruptSavesACheckpointAndResumeContinues() throws {
        let run = directory.path("interrupted").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: millrace)
        process.arguments = ["train", "pipelines/digits-cnn.json", "--run-dir", run, "--epochs", "40", "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until training is under way (the first epoch's checkpoint exists), then Ctrl-C.
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: run + "/checkpoints/latest") && Date() < deadline && process.isRunning { usleep(20_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, "an interrupted run exits with 130 after saving")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/report.html"), "Ctrl-C writes the report too")
        let resumed = try BuiltProducts.run(
            millrace, ["train", "pipelines/digits-cnn.json", "--run-dir", run, "--epochs", "2", "--resume", "--json", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(resumed.output.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(summary["steps"] as? Int ?? 0, 45)
    }

    func testPackThenTrainFromThePackedDirectoryWithinACacheBudget() throws {
        let packed = directory.path("packed").path
        let pack = try BuiltProducts.run(millrace, ["pack", "datasets/digits", "--output", packed, "--shard-size", "16KB", "--channels", "gray"])
        XCTAssertEqual(pack.status, 0, pack.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: packed + "/manifest.json"))
        let cache = directory.path("cache").path
        let summary = try train(
            "pipelines/digits-mlp.json",
            [
                "--data", packed, "--validation", "datasets/digits", "--epochs", "3",
                "--cache-dir", cache, "--cache-budget", "160KB",
            ])
        XCTAssertGreaterThan(summary["final_validation_accuracy"] as? Double ?? 0, 0.8)
        let left = try FileManager.default.contentsOfDirectory(atPath: cache)
        let size = left.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: cache + "/" + $1)[.size] as? Int) ?? 0) }
        XCTAssertLessThanOrEqual(size, 160 * 1024)
        let tooSmall = try BuiltProducts.run(
            millrace, ["train", "pipelines/digits-mlp.json", "--data", packed, "--cache-dir", cache, "--cache-budget", "1KB"])
        XCTAssertEqual(tooSmall.status, 1)
        XCTAssertTrue(tooSmall.errors.contains("at least"), tooSmall.errors)
    }
}
