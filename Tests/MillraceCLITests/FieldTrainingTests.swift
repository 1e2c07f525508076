import Foundation
import TestSupport
import XCTest

/// Training that goes wrong by itself: a loss that diverges to NaN or infinity stops the run
/// with one error line naming the step, and no checkpoint of the diverged weights is written.
final class FieldTrainingTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// The shipped digits table with plain SGD at `learningRate` (1 epoch of 45 steps of 32).
    private func pipeline(learningRate: Double, name: String) throws -> String {
        let object: [String: Any] = [
            "name": name,
            "dataset": ["kind": "csv", "path": Fixtures.repositoryRoot.path + "/datasets/digits.csv", "label_column": "label"],
            "pipeline": ["batch_size": 32, "threads": 1],
            "model": ["layers": [["type": "dense", "units": 16], ["type": "relu"], ["type": "dense"]]],
            "loss": "cross-entropy", "optimizer": ["type": "sgd", "learning_rate": learningRate], "epochs": 1, "seed": 3,
        ]
        let path = directory.path("\(name).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testADivergingLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        let good = try pipeline(learningRate: 0.01, name: "good")
        let run = directory.path("run").path
        let first = try BuiltProducts.run(millrace, ["train", good, "--run-dir", run, "--quiet"])
        XCTAssertEqual(first.status, 0, first.errors)
        let checkpoints = run + "/checkpoints"
        // A learning rate of 1e30 sends the weights past Float's range: the loss of the step after
        // the first update is NaN (57 steps per epoch: the resumed run's first update is step 58).
        let diverging = try pipeline(learningRate: 1e30, name: "diverging")
        let rows = [
            FieldCase(
                "a fresh run diverges", ["train", diverging, "--run-dir", directory.path("fresh").path, "--threads", "1"], status: 1,
                ["training diverged at step", "the loss is", "Lower the learning rate (it was 1e+30)"]),
            FieldCase(
                "a resumed run diverges", ["train", good, "--run-dir", run, "--resume", "--epochs", "3", "--learning-rate", "1e30"],
                status: 1, ["training diverged at step 59 (epoch 2, batch 2): the loss is NaN"], unchanged: [checkpoints]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("fresh/checkpoints/latest").path), "no checkpoint of NaN weights")
    }
}
