import Foundation
import TestSupport
import XCTest

/// Data the model cannot use and paths the run cannot write end `millrace` with status 1 and one
/// `error:` line naming the file (and line) or path: labels the training classes do not hold, a
/// run or checkpoint directory below a regular file (ENOTDIR even as root, where permissions do
/// not stop writes).
final class UserErrorCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// Writes a CSV of `labels.count` rows, two features each, and returns its path.
    private func writeCSV(_ name: String, labels: [Int]) throws -> String {
        let rows = labels.enumerated().map { "\(Double($0.offset % 5) / 4),\(Double($0.offset % 3) / 2),\($0.element)" }
        let path = directory.path(name).path
        try (["a,b,label"] + rows).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A pipeline file training a small dense model on `csv` for one epoch.
    private func writePipeline(csv: String) throws -> String {
        let pipeline: [String: Any] = [
            "name": "labels", "dataset": ["kind": "csv", "path": csv] as [String: Any],
            "pipeline": ["batch_size": 4, "threads": 1] as [String: Any],
            "model": ["layers": [["type": "dense", "units": 4], ["type": "relu"], ["type": "dense"]]],
            "loss": "cross-entropy", "optimizer": ["type": "sgd", "learning_rate": 0.1] as [String: Any], "epochs": 1, "seed": 1,
        ]
        let path = directory.path("pipeline.json").path
        try JSONSerialization.data(withJSONObject: pipeline).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Asserts status 1 and exactly one line on standard error, an `error:` line holding `parts`.
    private func assertOneErrorLine(
        _ result: (status: Int32, output: String, errors: String), _ parts: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(result.status, 1, result.errors, file: file, line: line)
        let lines = result.errors.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, result.errors, file: file, line: line)
        XCTAssertTrue(lines.first?.hasPrefix("error: ") ?? false, result.errors, file: file, line: line)
        for part in parts { XCTAssertTrue(result.errors.contains(part), "'\(part)' missing from: \(result.errors)", file: file, line: line) }
    }

    func testEvaluatingDataWithALabelTheModelNeverSawNamesTheFileLineAndLabel() throws {
        let training = try writeCSV("train.csv", labels: (0..<24).map { $0 % 3 })  // classes 0, 1, 2
        let pipeline = try writePipeline(csv: training)
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", run, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let checkpoints = run + "/checkpoints"
        let other = try writeCSV("other.csv", labels: [0, 1, 2, 5, 1])  // label 5 on line 5, column 3 (the header is line 1)
        let result = try BuiltProducts.run(millrace, ["evaluate", checkpoints, "--data", other])
        assertOneErrorLine(result, [other + ":5:3", "label '5'", "3 classes (0, 1, 2)"])
        // The training classes themselves evaluate.
        let same = try writeCSV("same.csv", labels: [0, 1, 2, 2, 1])
        let fine = try BuiltProducts.run(millrace, ["evaluate", checkpoints, "--data", same, "--json"])
        XCTAssertEqual(fine.status, 0, fine.errors)
    }

    func testValidationDataWithAnUnknownClassIsRefusedBeforeTraining() throws {
        let training = try writeCSV("train.csv", labels: (0..<24).map { $0 % 3 })
        let validation = try writeCSV("validation.csv", labels: [0, 1, 7, 2])  // label 7 on line 4, column 3
        let pipeline = try writePipeline(csv: training)
        let run = directory.path("run").path
        let result = try BuiltProducts.run(millrace, ["train", pipeline, "--validation", validation, "--run-dir", run, "--quiet"])
        assertOneErrorLine(result, [validation + ":4:3", "label '7'", "3 classes (0, 1, 2)"])
        // Refused at assembly: no step was logged and no checkpoint saved.
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/checkpoints/latest"))
        let metrics = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        XCTAssertFalse(metrics.contains("\"kind\":\"step\""), metrics)
    }

    func testARunOrCheckpointDirectoryBelowAFileIsAUserErrorNamingThePath() throws {
        let training = try writeCSV("train.csv", labels: (0..<24).map { $0 % 3 })
        let pipeline = try writePipeline(csv: training)
        let file = directory.path("file.txt").path
        try "not a folder\n".write(toFile: file, atomically: true, encoding: .utf8)
        // The run directory (its checkpoints go inside it by default).
        var result = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", file + "/run", "--quiet"])
        assertOneErrorLine(result, [file + "/run", "\(file) is a file, not a folder"])
        // The run directory alone, the checkpoints elsewhere.
        result = try BuiltProducts.run(
            millrace, ["train", pipeline, "--run-dir", file + "/run", "--checkpoint-dir", directory.path("checkpoints").path, "--quiet"])
        assertOneErrorLine(result, [file + "/run", "\(file) is a file, not a folder"])
        // A checkpoint directory that cannot be created.
        result = try BuiltProducts.run(
            millrace, ["train", pipeline, "--run-dir", directory.path("run").path, "--checkpoint-dir", file + "/a/b", "--quiet"])
        assertOneErrorLine(result, [file + "/a/b", "cannot create the checkpoint directory", "\(file) is a file, not a folder"])
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "not a folder\n")
    }
}
