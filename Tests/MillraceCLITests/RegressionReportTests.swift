import Foundation
import TestSupport
import XCTest

/// A regression run's report, `evaluate`, `predict` and records: the predicted-vs-true scatter
/// holds the values `predict` prints for the validation rows, and RMSE, MAE and R² are what NumPy
/// computes from them; nothing says "accuracy".
final class RegressionReportTests: XCTestCase {
    let millrace = BuiltProducts.executable("millrace")
    var directory: TemporaryDirectory!
    let root = Fixtures.repositoryRoot.path

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// `datasets/<name>.csv` (600 rows: `housing`, header `area,age,rooms,price`, or `weather`)
    /// cut in two: its first 480 rows to train on and its last 120 to validate on; the paths of both.
    func datasetHalves(_ name: String = "housing") throws -> (training: String, validation: String) {
        let lines = try String(contentsOfFile: root + "/datasets/\(name).csv", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 601)
        let training = directory.path("train.csv").path
        let validation = directory.path("valid.csv").path
        try ([lines[0]] + lines[1...480]).joined(separator: "\n").appending("\n").write(toFile: training, atomically: true, encoding: .utf8)
        try ([lines[0]] + lines[481...]).joined(separator: "\n").appending("\n").write(toFile: validation, atomically: true, encoding: .utf8)
        return (training, validation)
    }

    /// Trains `pipelines/regression-housing.json` for `epochs` on the two halves into `run`; the `--json` summary.
    func trainHousing(epochs: Int, run: String, extra: [String] = []) throws -> [String: Any] {
        let (training, validation) = try datasetHalves()
        let result = try BuiltProducts.run(
            millrace,
            ["train", root + "/pipelines/regression-housing.json", "--data", training, "--validation", validation, "--epochs", "\(epochs)"]
                + ["--run-dir", run, "--json", "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, result.errors)
        return try object(result.output)
    }

    func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// The `price` values `predict --json` prints for `file`, in row order.
    func predictedPrices(_ checkpoint: String, _ file: String) throws -> [Double] {
        let result = try BuiltProducts.run(millrace, ["predict", checkpoint, file, "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        let rows = try XCTUnwrap(try object(result.output)["results"] as? [[String: Any]])
        return try rows.map { try XCTUnwrap(($0["values"] as? [String: Double])?["price"], "\($0)") }
    }

    /// Runs a Python script (NumPy) with `arguments`; its standard output.
    func python(_ script: String, _ arguments: [String]) throws -> String {
        let path = directory.path("script-\(UUID().uuidString).py").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let python = PythonInterpreter.command
        let result = try BuiltProducts.run(python.executable, python.arguments + [path] + arguments)
        XCTAssertEqual(result.status, 0, result.errors)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTheReportScattersPredictValuesAndItsFiguresAreNumPys() throws {
        let run = directory.path("run").path
        _ = try trainHousing(epochs: 4, run: run)
        let output = directory.path("page.html").path
        let reported = try BuiltProducts.run(millrace, ["report", run, "--output", output, "--json"])
        XCTAssertEqual(reported.status, 0, reported.errors)
        let report = try object(reported.output)
        XCTAssertNil(report["validation_accuracy"], reported.output)
        let best = try XCTUnwrap(report["best_checkpoint"] as? String)
        let validation = directory.path("valid.csv").path
        let predicted = try predictedPrices(run + "/checkpoints/" + best, validation)
        XCTAssertEqual(predicted.count, 120)

        // The scatter's dots, in sample order: true and predicted values from their titles.
        let page = try String(contentsOfFile: output, encoding: .utf8)
        let dot = try NSRegularExpression(pattern: #"<circle [^>]*><title>true ([^,]+), predicted ([^<]+)</title></circle>"#)
        let dots = dot.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { match in
            (1...2).map { Double(page[Range(match.range(at: $0), in: page)!])! }
        }
        XCTAssertEqual(dots.count, 120)
        // The truth: the price column of the validation file, as a Float.
        let prices = try String(contentsOfFile: validation, encoding: .utf8).split(separator: "\n").dropFirst().map {
            Float($0.split(separator: ",")[3])!
        }
        XCTAssertEqual(dots.map { Float($0[0]) }, prices)
        XCTAssertEqual(dots.map { Float($0[1]) }, predicted.map { Float($0) })

        // RMSE, MAE and R² of predict's values against the file, computed by NumPy in float64.
        let figures = try python(
            """
            import sys, numpy as np
            y = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, 3].astype(np.float32).astype(np.float64)
            p = np.array([float(v) for v in sys.argv[2].split(",")])
            e = p - y
            print(np.sqrt((e * e).mean()), np.abs(e).mean(), 1 - (e * e).sum() / ((y - y.mean()) ** 2).sum())
            """, [validation, predicted.map { "\($0)" }.joined(separator: ",")]
        ).split(separator: " ").map { Double($0)! }
        for (key, expected) in zip(["validation_rmse", "validation_mae", "validation_r2"], figures) {
            let value = try XCTUnwrap(report[key] as? Double, key)
            XCTAssertEqual(value, expected, accuracy: 1e-9 * max(1, abs(expected)), key)
        }
        // The page: the regression's charts and scatter, every SVG well-formed, no accuracy anywhere.
        for title in ["Loss", "RMSE", "MAE", "R²", "Learning rate", "Throughput", "Data-wait share", "Predicted vs true: price"] {
            XCTAssertTrue(page.contains("aria-label=\"\(title)\""), title)
        }
        XCTAssertFalse(page.contains("Confusion matrix"))
        XCTAssertFalse(page.lowercased().contains("accuracy"))
        XCTAssertTrue(page.contains(String(format: "R² %.4f", figures[2])), "the lead line gives R²")
        let svgs = try python(
            """
            import re, sys, xml.etree.ElementTree as ET
            svgs = re.findall(r"<svg\\b.*?</svg>", open(sys.argv[1], encoding="utf-8").read(), re.S)
            for svg in svgs:
                ET.fromstring(svg)
            print(len(svgs))
            """, [output])
        XCTAssertEqual(svgs, "8")  // seven charts and one scatter
        XCTAssertEqual(try String(contentsOfFile: run + "/report.html", encoding: .utf8), page, "train wrote the same page")
    }
}
