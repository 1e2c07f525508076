import Foundation
import TestSupport
import XCTest

/// `predict` on a regression checkpoint reads the rows a user has at prediction time: with the
/// target columns or without them.
extension RegressionReportTests {
    func testPredictTakesRowsWithOrWithoutTheTargetsAndMatchesNumPy() throws {
        let run = directory.path("run").path
        let summary = try trainHousing(epochs: 3, run: run)
        let checkpoint = try XCTUnwrap(summary["checkpoint"] as? String)
        let validation = directory.path("valid.csv").path
        let rows = try String(contentsOfFile: validation, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows[0], ["area", "age", "rooms", "price"])
        // The same rows without the price column, with the price column first and empty (not
        // read, so not an error), and without a feature column.
        let withoutTargets = directory.path("no-price.csv").path
        try rows.map { $0.prefix(3).joined(separator: ",") + "\n" }.joined().write(toFile: withoutTargets, atomically: true, encoding: .utf8)
        let emptyTargets = directory.path("empty-price.csv").path
        try rows.enumerated().map { ($0.offset == 0 ? "price," : ",") + $0.element.prefix(3).joined(separator: ",") + "\n" }.joined()
            .write(toFile: emptyTargets, atomically: true, encoding: .utf8)
        let withTargets = try predictedPrices(checkpoint, validation)
        XCTAssertEqual(withTargets.count, 120)
        XCTAssertEqual(try predictedPrices(checkpoint, withoutTargets), withTargets)
        XCTAssertEqual(try predictedPrices(checkpoint, emptyTargets), withTargets)
        let text = try BuiltProducts.run(millrace, ["predict", checkpoint, withoutTargets])
        XCTAssertEqual(text.status, 0, text.errors)
        XCTAssertTrue(text.output.hasPrefix(withoutTargets + ":2: price "), text.output)

        let missingFeature = directory.path("no-rooms.csv").path
        try rows.map { $0.prefix(2).joined(separator: ",") + "\n" }.joined().write(toFile: missingFeature, atomically: true, encoding: .utf8)
        let refused = try BuiltProducts.run(millrace, ["predict", checkpoint, missingFeature])
        XCTAssertEqual(refused.status, 1)
        for fragment in [missingFeature, "2 feature columns (area, age)", "price missing", "the model takes 3", "may be left out"] {
            XCTAssertTrue(refused.errors.contains(fragment), "\(fragment) in \(refused.errors)")
        }

        // The truth: the saved weights run by NumPy in float64 on the pipeline's normalisation
        // ((x - mean) / std with its figures), the price scaled back by the training rows' mean and
        // population standard deviation.
        let numpy = try python(
            """
            import sys, numpy as np
            from safetensors.numpy import load_file
            w = {k: v.astype(np.float64) for k, v in load_file(sys.argv[1] + "/model.safetensors").items()}
            x = (np.loadtxt(sys.argv[2], delimiter=",", skiprows=1) - [120, 30, 3.5]) / [46, 17, 1.7]
            z = np.tanh(x @ w["0.weight"].T + w["0.bias"]) @ w["2.weight"].T + w["2.bias"]
            y = np.loadtxt(sys.argv[3], delimiter=",", skiprows=1)[:, 3].astype(np.float32).astype(np.float64)
            print(",".join(repr(float(v)) for v in z[:, 0] * y.std() + y.mean()))
            """, [checkpoint, withoutTargets, directory.path("train.csv").path])
        let expected = numpy.split(separator: ",").map { Double($0)! }
        XCTAssertEqual(expected.count, 120)
        for (value, truth) in zip(withTargets, expected) { XCTAssertEqual(value, truth, accuracy: 1e-4 * max(1, abs(truth))) }
    }
}
