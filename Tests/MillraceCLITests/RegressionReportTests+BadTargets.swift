import Foundation
import TestSupport
import XCTest

/// A bad target cell is an error naming the file, line and column, whose fix is to correct the
/// cell or drop the row (a target is not a feature to leave out, nor a value to fill in).
extension RegressionReportTests {
    func testABadTargetCellSaysFixItOrDropTheRow() throws {
        for (cell, reason) in [
            ("27x8", "'27x8' in target column 'price' is not a number"), ("", "empty field in target column 'price'"),
            ("inf", "'inf' in target column 'price' is not a finite number"),
        ] {
            let pipeline = try housingPipeline("")
            let training = directory.path("train.csv").path
            var lines = try String(contentsOfFile: training, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[2] = lines[2].split(separator: ",").prefix(3).joined(separator: ",") + "," + cell  // file line 3
            try (lines.joined(separator: "\n") + "\n").write(toFile: training, atomically: true, encoding: .utf8)
            let result = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", directory.path("bad").path])
            XCTAssertEqual(result.status, 1, cell)
            for fragment in [training + ":3:4: " + reason, "fix the value in the file, or drop the row: pipeline.skip_bad_fraction"] {
                XCTAssertTrue(result.errors.contains(fragment), "\(fragment) in \(result.errors)")
            }
            XCTAssertFalse(result.errors.contains("leave the column out"), result.errors)
            XCTAssertFalse(result.errors.contains("fill value"), result.errors)
        }
        // The advice works: with skip_bad_fraction the run leaves that row out (480 rows, one bad).
        let pipeline = try housingPipeline("")
        let training = directory.path("train.csv").path
        var lines = try String(contentsOfFile: training, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[2].split(separator: ",").prefix(3).joined(separator: ",") + ",27x8"
        try (lines.joined(separator: "\n") + "\n").write(toFile: training, atomically: true, encoding: .utf8)
        var configuration = try object(String(contentsOfFile: pipeline, encoding: .utf8))
        var settings = try XCTUnwrap(configuration["pipeline"] as? [String: Any])
        settings["skip_bad_fraction"] = 0.01
        configuration["pipeline"] = settings
        configuration["epochs"] = 1
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: pipeline))
        let skipped = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", directory.path("skipped").path])
        XCTAssertEqual(skipped.status, 0, skipped.errors)
        XCTAssertTrue(skipped.errors.contains("training housing: 479 samples, 1 target (price)"), skipped.errors)
        // Never silent: the row left out is named, with its file and line, before training.
        XCTAssertTrue(
            skipped.errors.contains("warning: left out 1 training sample(s) that could not be read (skip_bad_fraction):\n  \(training):3"),
            skipped.errors)
    }
}
