import Foundation
import TestSupport
import XCTest

/// Multi-label runs (0/1 target columns, `binary-cross-entropy-with-logits`) take the
/// regression's path through the command: `pipelines/multilabel-weather.json` on the two halves
/// of `datasets/weather.csv`. Its figures are the counts this test makes from `predict`'s
/// probabilities and the file's labels.
extension RegressionReportTests {
    /// Trains `pipelines/multilabel-weather.json` for `epochs` on the halves of the weather file into `run`; the `--json` summary.
    func trainWeather(epochs: Int, run: String, extra: [String] = []) throws -> [String: Any] {
        let (training, validation) = try datasetHalves("weather")
        let result = try BuiltProducts.run(
            millrace,
            ["train", root + "/pipelines/multilabel-weather.json", "--data", training, "--validation", validation, "--epochs", "\(epochs)"]
                + ["--run-dir", run, "--json", "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, result.errors)
        return try object(result.output)
    }

    /// The labels (`hot`, `rain`, `windy`) of each row of `file`, and `predict --json`'s probabilities of them.
    func weatherLabels(_ checkpoint: String, _ file: String) throws -> (truth: [[Int]], probabilities: [[Double]], predicted: [[String]]) {
        let names = ["hot", "rain", "windy"]
        let truth = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
            line.split(separator: ",").suffix(3).map { Int($0)! }
        }
        let result = try BuiltProducts.run(millrace, ["predict", checkpoint, file, "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        let rows = try XCTUnwrap(try object(result.output)["results"] as? [[String: Any]])
        let probabilities = try rows.map { row in
            let values = try XCTUnwrap(row["probabilities"] as? [String: Double], "\(row)")
            return try names.map { try XCTUnwrap(values[$0]) }
        }
        return (truth, probabilities, try rows.map { try XCTUnwrap($0["labels"] as? [String]) })
    }

    func testMultiLabelRecordsEvaluateAndPredictAgreeWithCountsOfPredictsProbabilities() throws {
        let run = directory.path("run").path
        let summary = try trainWeather(epochs: 3, run: run)
        let records = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { try object(String($0)) }
        for record in records {
            for key in ["rmse", "mae", "r2"] { XCTAssertNil(record[key], "\(key) in \(record)") }
            let keys =
                record["kind"] as? String == "epoch"
                ? ["accuracy", "exact_match", "f1", "validation_accuracy", "validation_f1"] : ["accuracy", "f1"]
            for key in keys { XCTAssertNotNil(record[key] as? Double, "\(key) in \(record)") }
        }
        let last = try XCTUnwrap(records.last { $0["kind"] as? String == "epoch" })
        for key in ["loss", "accuracy", "exact_match", "f1"] {
            XCTAssertEqual(summary["final_validation_\(key)"] as? Double, last["validation_\(key)"] as? Double, key)
        }
        // The counts of predict's probabilities (a label predicted above 0.5) against the file.
        let checkpoint = try XCTUnwrap(summary["checkpoint"] as? String)
        let validation = directory.path("valid.csv").path
        let (truth, probabilities, predicted) = try weatherLabels(checkpoint, validation)
        XCTAssertEqual(truth.count, 120)
        var (right, exact, truePositives, falsePositives, falseNegatives) = (0, 0, [0, 0, 0], [0, 0, 0], [0, 0, 0])
        for (labels, row) in zip(truth, probabilities) {
            let guesses = row.map { $0 > 0.5 ? 1 : 0 }
            right += zip(labels, guesses).filter { $0 == $1 }.count
            exact += labels == guesses ? 1 : 0
            for label in 0..<3 {
                truePositives[label] += labels[label] == 1 && guesses[label] == 1 ? 1 : 0
                falsePositives[label] += labels[label] == 0 && guesses[label] == 1 ? 1 : 0
                falseNegatives[label] += labels[label] == 1 && guesses[label] == 0 ? 1 : 0
            }
        }
        XCTAssertEqual(predicted, probabilities.map { row in zip(["hot", "rain", "windy"], row).filter { $0.1 > 0.5 }.map(\.0) })
        let (tp, fp, fn) = (truePositives.reduce(0, +), falsePositives.reduce(0, +), falseNegatives.reduce(0, +))
        let evaluated = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", validation, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let evaluation = try object(evaluated.output)
        XCTAssertEqual(evaluation["count"] as? Int, 120)
        XCTAssertEqual(try XCTUnwrap(evaluation["accuracy"] as? Double), Double(right) / 360, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation["exact_match"] as? Double), Double(exact) / 120, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation["f1"] as? Double), Double(2 * tp) / Double(2 * tp + fp + fn), accuracy: 1e-12)
        let labels = try XCTUnwrap(evaluation["labels"] as? [[String: Any]])
        XCTAssertEqual(labels.map { $0["name"] as? String }, ["hot", "rain", "windy"])
        for (index, label) in labels.enumerated() {
            XCTAssertEqual(label["support"] as? Int, truePositives[index] + falseNegatives[index])
            let f1 = Double(2 * truePositives[index]) / Double(2 * truePositives[index] + falsePositives[index] + falseNegatives[index])
            XCTAssertEqual(try XCTUnwrap(label["f1"] as? Double), f1, accuracy: 1e-12)
        }
        // The last validation pass saw the same rows with the same weights.
        for key in ["loss", "accuracy", "exact_match", "f1"] { XCTAssertEqual(evaluation[key] as? Double, last["validation_\(key)"] as? Double, key) }
        // Text: the per-label table; predict names the labels above 0.5 with every probability.
        let text = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", validation])
        XCTAssertTrue(text.output.contains("exact match"), text.output)
        XCTAssertTrue(text.output.contains("label  support  precision  recall     f1"), text.output)
        let first = try BuiltProducts.run(millrace, ["predict", checkpoint, validation])
        let line = try XCTUnwrap(first.output.split(separator: "\n").first.map(String.init))
        let shown = predicted[0].isEmpty ? "none" : predicted[0].joined(separator: ", ")
        XCTAssertTrue(line.hasPrefix("\(validation):2: labels \(shown) (hot "), line)
        // TensorBoard's tags as TensorBoard reads them.
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
                "epoch/accuracy", "epoch/exact_match", "epoch/f1", "epoch/loss", "epoch/validation_accuracy", "epoch/validation_exact_match",
                "epoch/validation_f1", "epoch/validation_loss", "train/accuracy", "train/learning_rate", "train/loss",
            ])
    }

    func testTheMultiLabelReportHasAPerLabelTableAndRanksCheckpointsByANamedMetric() throws {
        let run = directory.path("run").path
        // Keep the newest checkpoint and the best by validation accuracy (of labels); over the
        // pipeline's 40 epochs the two differ (here steps 255 and 600).
        let path = directory.path("ranked.json").path
        var pipeline = try object(String(contentsOfFile: root + "/pipelines/multilabel-weather.json", encoding: .utf8))
        pipeline["checkpoint"] = ["keep_last": 1, "keep_best": 1, "metric": "validation_accuracy"]
        pipeline["dataset"] = [
            "kind": "csv", "path": root + "/datasets/weather.csv", "target_columns": ["hot", "rain", "windy"], "validation_split": 0.2,
        ]
        try JSONSerialization.data(withJSONObject: pipeline).write(to: URL(fileURLWithPath: path))
        let trained = try BuiltProducts.run(millrace, ["train", path, "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let epochs = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map { try object(String($0)) }
            .filter { $0["kind"] as? String == "epoch" }
        func rank(_ record: [String: Any]) -> (Double, Int) { (record["validation_accuracy"] as? Double ?? -1, record["step"] as? Int ?? 0) }
        let best = try XCTUnwrap(epochs.max { rank($0) < rank($1) }?["step"] as? Int)
        let newest = try XCTUnwrap(epochs.last?["step"] as? Int)
        let kept = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.hasPrefix("step-") }.sorted()
        XCTAssertEqual(kept, Set([best, newest]).sorted().map { String(format: "step-%09d", $0) })
        let output = directory.path("page.html").path
        let reported = try BuiltProducts.run(millrace, ["report", run, "--output", output, "--json"])
        XCTAssertEqual(reported.status, 0, reported.errors)
        let report = try object(reported.output)
        for key in ["validation_loss", "validation_accuracy", "validation_exact_match", "validation_f1"] {
            XCTAssertNotNil(report[key] as? Double, "\(key) in \(report)")
        }
        XCTAssertNil(report["validation_rmse"])
        let page = try String(contentsOfFile: output, encoding: .utf8)
        for title in ["Loss", "Accuracy", "Exact match", "F1 (micro)", "Learning rate"] {
            XCTAssertTrue(page.contains("aria-label=\"\(title)\""), title)
        }
        XCTAssertTrue(page.contains("<caption>Per label"), "the per-label table")
        for label in ["hot", "rain", "windy"] { XCTAssertTrue(page.contains("<td>\(label)</td>"), label) }
        for absent in ["Confusion matrix", "RMSE", "Predicted vs true"] { XCTAssertFalse(page.contains(absent), absent) }
        XCTAssertTrue(page.contains(String(format: "exact match %.2f%% of rows", try XCTUnwrap(report["validation_exact_match"] as? Double) * 100)))
    }

    func testABadMultiLabelCellSaysWhatTheTargetsMustBe() throws {
        for (cell, reason) in [
            ("2", "'2' in target column 'windy' is not 0 or 1 (multi-label targets mark each label absent or present)"),
            ("0.5", "'0.5' in target column 'windy' is not 0 or 1"), ("yes", "'yes' in target column 'windy' is not a number"),
        ] {
            let (training, _) = try datasetHalves("weather")
            var lines = try String(contentsOfFile: training, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[2] = lines[2].split(separator: ",").prefix(6).joined(separator: ",") + "," + cell  // file line 3, column 7
            try (lines.joined(separator: "\n") + "\n").write(toFile: training, atomically: true, encoding: .utf8)
            let result = try BuiltProducts.run(
                millrace, ["train", root + "/pipelines/multilabel-weather.json", "--data", training, "--run-dir", directory.path("bad").path])
            XCTAssertEqual(result.status, 1, cell)
            for fragment in [training + ":3:7: " + reason, "or drop the row: pipeline.skip_bad_fraction"] {
                XCTAssertTrue(result.errors.contains(fragment), "\(fragment) in \(result.errors)")
            }
        }
        // 0/1 labels are never scaled: normalize_targets is refused, naming the key.
        var pipeline = try object(String(contentsOfFile: root + "/pipelines/multilabel-weather.json", encoding: .utf8))
        var dataset = try XCTUnwrap(pipeline["dataset"] as? [String: Any])
        dataset["normalize_targets"] = true
        dataset["path"] = root + "/datasets/weather.csv"
        pipeline["dataset"] = dataset
        let path = directory.path("scaled.json").path
        try JSONSerialization.data(withJSONObject: pipeline).write(to: URL(fileURLWithPath: path))
        let refused = try BuiltProducts.run(millrace, ["train", path, "--run-dir", directory.path("scaled").path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.contains("'dataset.normalize_targets': true is not allowed"), refused.errors)
    }
}
