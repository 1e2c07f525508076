import Foundation
import TestSupport
import XCTest

/// The `millrace` command as users run it: the built binary, the shipped pipeline files.
final class TrainCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    /// The repository root (the tests run the shipped files from it).
    private let root = Fixtures.repositoryRoot.path

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(root))
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

    /// Ctrl-C saves a checkpoint of the last step taken even when the schedule would not save
    /// for a long while (`every_epochs: 5`), exits 130, and `--resume` ends with the weights of an
    /// uninterrupted run, byte for byte. The interrupt is sent once metrics.jsonl shows a few
    /// steps (an event, not a sleep). The first scheduled checkpoint is thousands of steps away;
    /// a trial that reaches it before the interrupt lands tests nothing and is run again with
    /// twice the steps per epoch (smaller batches), as CheckpointCrashTests does with its kills.
    func testInterruptSavesACheckpointAndResumeContinues() throws {
        // 2,000 rows, 4 features, 3 classes (label = row % 3).
        let csv = directory.path("interrupt.csv").path
        let rows = (0..<2000).map { "\($0 % 7),\($0 % 5 - 2),\(Double($0 % 50) / 10),\(($0 * 7) % 11),\($0 % 3)" }
        try (["a,b,c,d,label"] + rows).joined(separator: "\n").appending("\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let pipeline = directory.path("interrupt.json").path
        try """
        {"name": "interrupt", "dataset": {"kind": "csv", "path": "\(csv)"}, "pipeline": {"batch_size": 8, "threads": 2},
         "model": {"layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 6, "seed": 3,
         "checkpoint": {"every_epochs": 5}, "logging": {"every_steps": 1}}
        """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        func arguments(_ name: String, batch: Int) -> [String] {
            [
                "train", pipeline, "--batch-size", "\(batch)", "--quiet", "--run-dir", directory.path("\(name)/run").path,
                "--checkpoint-dir", directory.path("\(name)/checkpoints").path,
            ]
        }
        func stepLines(_ name: String) -> [Int] {
            let text = (try? String(contentsOfFile: directory.path("\(name)/run/metrics.jsonl").path, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["kind"] as? String == "step"
                else { return nil }
                return object["step"] as? Int
            }
        }
        func latest(_ name: String) throws -> (step: Int, model: Data, optimizer: Data) {
            let checkpoints = directory.path("\(name)/checkpoints")
            let committed = try CommittedCheckpoint.latest(in: checkpoints)
            let inspected = try BuiltProducts.run(millrace, ["inspect", checkpoints.path, "--json"])  // loadable
            XCTAssertEqual(inspected.status, 0, inspected.errors)
            let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(inspected.output.utf8)) as? [String: Any])
            return (try XCTUnwrap(manifest["step"] as? Int), committed.model, committed.optimizer)
        }
        for batch in [8, 4, 2, 1] {
            let stepsPerEpoch = 2000 / batch
            let firstScheduled = 5 * stepsPerEpoch
            let name = "interrupted-\(batch)"
            let process = try BuiltProducts.start(millrace, arguments(name, batch: batch))
            // Ctrl-C once three steps are logged (the hang guards only bound a stuck run).
            let started = waitUntil { !process.isRunning || stepLines(name).count >= 3 }
            kill(process.processIdentifier, SIGINT)
            guard BuiltProducts.wait(for: process) else {
                return XCTFail("batch \(batch): the run still ran 120 s after Ctrl-C (hang guard; terminated)")
            }
            XCTAssertTrue(started, "no steps were logged")
            XCTAssertEqual(process.terminationStatus, 130, "an interrupted run exits with 130 after saving")
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path("\(name)/run/report.html").path), "Ctrl-C writes the report too")
            let logged = stepLines(name)
            XCTAssertEqual(logged, Array(1...max(1, logged.count)), "one step line per step")
            let taken = logged.count
            guard taken < firstScheduled else {
                print("batch \(batch): the interrupt landed after step \(taken), past the first scheduled checkpoint; smaller batches next")
                continue
            }
            let saved = try latest(name)
            XCTAssertEqual(saved.step, taken, "the checkpoint holds every step taken")
            let folders = try FileManager.default.contentsOfDirectory(atPath: directory.path("\(name)/checkpoints").path).filter {
                $0.hasPrefix("step-")
            }
            XCTAssertEqual(folders.count, 1, "the interrupt's checkpoint is the only one: \(folders)")
            let resumed = try BuiltProducts.run(millrace, arguments(name, batch: batch) + ["--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.errors)
            let reference = try BuiltProducts.run(millrace, arguments("reference-\(batch)", batch: batch))
            XCTAssertEqual(reference.status, 0, reference.errors)
            let final = try latest(name)
            let expected = try latest("reference-\(batch)")
            XCTAssertEqual(final.step, 6 * stepsPerEpoch)
            XCTAssertEqual(expected.step, 6 * stepsPerEpoch)
            XCTAssertEqual(final.model, expected.model, "resumed weights differ from an uninterrupted run's")
            XCTAssertEqual(final.optimizer, expected.optimizer, "resumed optimizer state differs")
            return
        }
        XCTFail("every trial's interrupt landed after the first scheduled checkpoint")
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
