import Foundation
import TestSupport
import XCTest

/// A regression's records carry RMSE, MAE and R², never an accuracy of 0.
extension RegressionReportTests {
    func testRecordsSummaryEvaluateAndTensorBoardHaveRegressionFiguresAndNoAccuracy() throws {
        let run = directory.path("run").path
        let summary = try trainHousing(epochs: 2, run: run)
        // train --json: the last validation's figures, no accuracy.
        for key in ["final_validation_accuracy", "best_validation_accuracy"] { XCTAssertNil(summary[key], key) }
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try object(String($0)) }
        XCTAssertEqual(records.filter { $0["kind"] as? String == "epoch" }.count, 2)
        for record in records {
            XCTAssertNil(record["accuracy"], "\(record)")
            XCTAssertNil(record["validation_accuracy"], "\(record)")
            let keys =
                record["kind"] as? String == "epoch" ? ["rmse", "mae", "r2", "validation_rmse", "validation_mae", "validation_r2"] : ["rmse", "mae"]
            for key in keys { XCTAssertNotNil(record[key] as? Double, "\(key) in \(record)") }
        }
        let last = try XCTUnwrap(records.last { $0["kind"] as? String == "epoch" })
        for key in ["loss", "rmse", "mae", "r2"] {
            XCTAssertEqual(summary["final_validation_\(key)"] as? Double, last["validation_\(key)"] as? Double, key)
        }
        let checkpoint = try XCTUnwrap(summary["checkpoint"] as? String)
        // evaluate --json on the validation file: exactly count, loss, rmse, mae and r2 (the
        // validation pass's figures), and RMSE, MAE and R² as NumPy computes them from predict's values.
        let validation = directory.path("valid.csv").path
        let evaluated = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", validation, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let evaluation = try object(evaluated.output)
        XCTAssertEqual(Set(evaluation.keys), ["count", "loss", "rmse", "mae", "r2"])
        XCTAssertEqual(evaluation["count"] as? Int, 120)
        for key in ["loss", "rmse", "mae", "r2"] { XCTAssertEqual(evaluation[key] as? Double, last["validation_\(key)"] as? Double, key) }
        let predicted = try predictedPrices(checkpoint, validation)
        let figures = try python(
            """
            import sys, numpy as np
            y = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, 3].astype(np.float32).astype(np.float64)
            e = np.array([float(v) for v in sys.argv[2].split(",")]) - y
            print(np.sqrt((e * e).mean()), np.abs(e).mean(), 1 - (e * e).sum() / ((y - y.mean()) ** 2).sum())
            """, [validation, predicted.map { "\($0)" }.joined(separator: ",")]
        ).split(separator: " ").map { Double($0)! }
        for (key, expected) in zip(["rmse", "mae", "r2"], figures) {
            XCTAssertEqual(try XCTUnwrap(evaluation[key] as? Double, key), expected, accuracy: 1e-9 * max(1, abs(expected)), key)
        }
        // The checkpoint's recorded metrics, and TensorBoard's tags as TensorBoard reads them.
        let manifest = try object(String(contentsOfFile: checkpoint + "/manifest.json", encoding: .utf8))
        let metrics = try XCTUnwrap(manifest["metrics"] as? [String: Any])
        XCTAssertEqual(Set(metrics.keys.filter { $0.contains("accuracy") }), [])
        XCTAssertNotNil(metrics["validation_rmse"])
        let tags = try python(
            """
            import sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            accumulator = EventAccumulator(sys.argv[1])
            accumulator.Reload()
            print(" ".join(sorted(accumulator.Tags()["scalars"])))
            """, [run + "/tensorboard"])
        XCTAssertEqual(
            tags.split(separator: " ").map(String.init),
            [
                "epoch/loss", "epoch/mae", "epoch/r2", "epoch/rmse", "epoch/validation_loss", "epoch/validation_mae", "epoch/validation_r2",
                "epoch/validation_rmse", "train/learning_rate", "train/loss", "train/rmse",
            ])
    }
}
