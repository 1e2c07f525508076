import Foundation
import TestSupport
import XCTest

/// Data-parallel training on CSV target columns: multi-label (0/1 labels,
/// `binary-cross-entropy-with-logits`) and regression runs on 2 and 4 ranks give the plain run's
/// bytes and its validation figures.
extension DataParallelTests {
    /// 100 rows of 4 features, three 0/1 labels (thresholds of linear functions) and a number, as `targets.csv`.
    private func writeTargets() throws {
        var csv = "a,b,c,d,p,q,r,y\n"
        for row in 0..<100 {
            let (a, b, c, d) = (Double(row % 7) - 3, Double(row % 5) - 2, Double(row) / 50 - 1, Double((row * 7) % 11) / 5 - 1)
            let labels = [a + b > 0, c - d > 0.2, a - 2 * c > 0].map { $0 ? "1" : "0" }
            csv += "\(a),\(b),\(c),\(d),\(labels.joined(separator: ",")),\(a * c - d)\n"
        }
        try csv.write(to: directory.path("targets.csv"), atomically: true, encoding: .utf8)
    }

    /// A dense-relu-dropout-dense model on `targets.csv`'s `targets` with `loss`, batches of 16.
    private func targetPipeline(_ targets: [String], loss: String) -> String {
        let columns = targets.map { "\"\($0)\"" }.joined(separator: ", ")
        let ignored = ["p", "q", "r", "y"].filter { !targets.contains($0) }.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {"name": "targets", "dataset": {"kind": "csv", "path": "\(directory.path("targets.csv").path)", "target_columns": [\(columns)],
                                            "ignore_columns": [\(ignored)], "validation_split": 0.25},
             "pipeline": {"batch_size": 16, "threads": 1},
             "model": {"layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dropout", "probability": 0.2}, {"type": "dense"}]},
             "loss": "\(loss)", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "seed": 5,
             "checkpoint": {"keep_last": 1}}
            """
    }

    func testTargetColumnsOnTwoAndFourRanksGiveThePlainRunsBytesForEveryTargetKind() throws {
        try writeTargets()
        for (name, targets, loss, figures) in [
            ("multilabel", ["p", "q", "r"], "binary-cross-entropy-with-logits", ["loss", "accuracy", "exact_match", "f1"]),
            ("regression", ["y"], "mean-squared-error", ["loss", "rmse", "mae", "r2"]),
        ] {
            try targetPipeline(targets, loss: loss).write(to: directory.path("\(name).json"), atomically: true, encoding: .utf8)
            let plain = try train("\(name)-plain", ranks: nil, [], pipeline: "\(name).json")
            XCTAssertEqual(plain.status, 0, plain.errors)
            let reference = try latest("\(name)-plain")
            let plainSummary = try summary(plain.output)
            for ranks in [2, 4] {
                let result = try assertPlainRunsBytes(reference, "\(name)\(ranks)", ranks: ranks, pipeline: "\(name).json")
                for figure in figures {
                    let key = "final_validation_\(figure)"
                    XCTAssertNotNil(plainSummary[key] as? Double, "\(name): \(key)")
                    XCTAssertEqual(result[key] as? Double, plainSummary[key] as? Double, "\(name), \(ranks) ranks: \(key)")
                }
            }
        }
    }
}
