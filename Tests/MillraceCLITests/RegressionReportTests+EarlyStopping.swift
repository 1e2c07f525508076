import Foundation
import TestSupport
import XCTest

/// Early stopping and checkpoint ranking of a regression watch a loss, never an accuracy.
extension RegressionReportTests {
    /// A pipeline of `pipelines/regression-housing.json`'s model on the two halves of the
    /// housing file, with `extra` keys (JSON text) added.
    func housingPipeline(_ extra: String) throws -> String {
        let (training, validation) = try datasetHalves()
        let path = directory.path("pipeline-\(UUID().uuidString).json").path
        try """
        {"name": "housing", "dataset": {"kind": "csv", "path": "\(training)", "validation_path": "\(validation)", "target_columns": ["price"]},
         "pipeline": {"batch_size": 32, "threads": 2, "augmentations": [{"normalize": {"mean": [120, 30, 3.5], "std": [46, 17, 1.7]}}]},
         "model": {"layers": [{"type": "dense", "units": 32}, {"type": "tanh"}, {"type": "dense"}]},
         "loss": "mean-squared-error", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 10, "seed": 1\(extra)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testEarlyStoppingWatchesTheValidationLossByDefault() throws {
        // min_delta 1000 (far above any loss on scaled targets): epoch 1 sets the best, epochs 2
        // and 3 cannot beat it by that much, so patience 2 stops the run after epoch 3.
        let pipeline = try housingPipeline(#", "early_stopping": {"patience": 2, "min_delta": 1000}"#)
        let run = directory.path("run").path
        let result = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(result.status, 0, result.errors)
        let summary = try object(result.output)
        XCTAssertEqual(summary["epochs"] as? Int, 3)
        let first = try XCTUnwrap(
            String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { try object(String($0)) }
                .first { $0["kind"] as? String == "epoch" })
        let loss = try XCTUnwrap(first["validation_loss"] as? Double)
        XCTAssertEqual(
            summary["stop_reason"] as? String,
            String(format: "early stopping: validation loss did not improve by 1000 for 2 epochs; best %.4f at epoch 1", loss))
    }

    func testAnAccuracyMetricIsRefusedForARegression() throws {
        for (extra, key) in [
            (#", "early_stopping": {"patience": 2, "metric": "accuracy"}"#, "early_stopping.metric"),
            (#", "early_stopping": {"patience": 2, "metric": "validation_accuracy"}"#, "early_stopping.metric"),
            (#", "checkpoint": {"metric": "validation_accuracy"}"#, "checkpoint.metric"),
        ] {
            let pipeline = try housingPipeline(extra)
            let result = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", directory.path("refused").path])
            XCTAssertEqual(result.status, 1, extra)
            for fragment in [pipeline, key, "is a classifier's figure, but the dataset has regression targets", "use validation_loss"] {
                XCTAssertTrue(result.errors.contains(fragment), "\(fragment) in \(result.errors)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("refused/metrics.jsonl").path), "refused before training")
        }
    }
}
