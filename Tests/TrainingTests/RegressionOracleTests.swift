import Foundation
import Layers
import Tensors
import TestSupport
import Training
import XCTest

/// Regression from CSV `target_columns`, checked against independent truths: NumPy's
/// least-squares solution for a linear model, R² of a small non-linear function, and a resumed
/// run against an uninterrupted one.
final class RegressionOracleTests: XCTestCase {
    /// `rows` rows of `features` values in [-1, 1) and `y = function(x) + noise` (seeded), as CSV.
    static func csv(rows: Int, features: Int, noise: Double, seed: UInt64, _ function: ([Double]) -> Double) -> String {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        var text = (0..<features).map { "x\($0)" }.joined(separator: ",") + ",y\n"
        for _ in 0..<rows {
            let x = (0..<features).map { _ in uniform() }
            let y = function(x) + noise * (uniform() + uniform() + uniform())
            text += (x + [y]).map { String(format: "%.6f", $0) }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Trains `pipeline` (whose data file lies in `directory`) into `directory/run`, quietly, with `callbacks`.
    static func train(
        _ pipeline: String, in directory: TemporaryDirectory, overrides base: TrainingOverrides = TrainingOverrides(),
        callbacks: [any TrainingCallback] = []
    ) throws -> TrainingRun {
        let located = pipeline.replacingOccurrences(of: #""path": ""#, with: #""path": "\#(directory.url.path)/"#)
        let configuration = try RunConfiguration.decode(Data(located.utf8), path: "regression.json")
        var overrides = base
        overrides.runDirectory = directory.path("run").path
        let run = try TrainingRun(configuration: configuration, overrides: overrides, path: "regression.json")
        _ = try run.run(reporter: ProgressReporter(isTerminal: false, verbosity: .quiet), callbacks: callbacks)
        return run
    }

    func testALinearModelLearnsNumPysLeastSquaresSolution() throws {
        let directory = try TemporaryDirectory()
        let data = Self.csv(rows: 300, features: 4, noise: 0.05, seed: 7) { 3 * $0[0] - 2 * $0[1] + 0.5 * $0[2] + 0 * $0[3] + 10 }
        try data.write(to: directory.path("linear.csv"), atomically: true, encoding: .utf8)
        let pipeline = """
            {"name": "linear", "dataset": {"kind": "csv", "path": "linear.csv", "target_columns": ["y"]},
             "pipeline": {"batch_size": 0, "shuffle": false}, "model": {"layers": [{"type": "dense"}]},
             "loss": "mean-squared-error", "optimizer": {"type": "sgd", "learning_rate": 0.3}, "epochs": 400, "seed": 1}
            """
        let run = try Self.train(pipeline, in: directory)
        let weight = try XCTUnwrap(run.model.namedParameters.first { $0.name == "0.weight" }?.parameter.value.scalars)
        let bias = try XCTUnwrap(run.model.namedParameters.first { $0.name == "0.bias" }?.parameter.value.scalars)
        let scale = try XCTUnwrap(run.data.preprocessing.targetNormalization)
        // The model learns the scaled target: y = (w·x + b) * std + mean.
        let (deviation, mean) = (Double(scale.standardDeviation[0]), Double(scale.mean[0]))
        let learned = weight.map { Double($0) * deviation } + [Double(bias[0]) * deviation + mean]
        // The oracle: ordinary least squares on [x, 1] in float64.
        let script = """
            import sys, numpy as np
            data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
            x = np.hstack([data[:, :-1], np.ones((len(data), 1))])
            print(" ".join(repr(float(v)) for v in np.linalg.lstsq(x, data[:, -1], rcond=None)[0]))
            """
        let python = PythonInterpreter.command
        let oracle = try BuiltProducts.run(python.executable, python.arguments + ["-c", script, directory.path("linear.csv").path])
        XCTAssertEqual(oracle.status, 0, oracle.errors)
        let expected = oracle.output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(expected.count, 5, oracle.output)
        for (index, (value, truth)) in zip(learned, expected).enumerated() {
            XCTAssertEqual(value, truth, accuracy: 1e-4, "coefficient \(index): learned \(learned), least squares \(expected)")
        }
        // And the known function, up to the noise.
        XCTAssertEqual(expected[0], 3, accuracy: 0.05)
        XCTAssertEqual(expected[4], 10, accuracy: 0.05)
    }

    func testAnMLPLearnsANonLinearFunction() throws {
        let directory = try TemporaryDirectory()
        let data = Self.csv(rows: 1000, features: 2, noise: 0.02, seed: 11) { sin(3 * $0[0]) + $0[1] * $0[1] }
        try data.write(to: directory.path("curve.csv"), atomically: true, encoding: .utf8)
        let pipeline = """
            {"name": "curve", "dataset": {"kind": "csv", "path": "curve.csv", "target_columns": ["y"], "validation_split": 0.2},
             "pipeline": {"batch_size": 32}, "model": {"layers": [{"type": "dense", "units": 32}, {"type": "tanh"}, {"type": "dense"}]},
             "loss": "huber", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 40, "seed": 3}
            """
        _ = try Self.train(pipeline, in: directory)
        let lines = try String(contentsOfFile: directory.path("run").path + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let last = try XCTUnwrap(lines.last { $0.contains("\"kind\":\"epoch\"") })
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let r2 = try XCTUnwrap(record["validation_r2"] as? Double, "\(record)")
        XCTAssertGreaterThan(r2, 0.95, "\(record)")
        for key in ["rmse", "mae", "r2", "validation_loss", "validation_rmse", "validation_mae"] {
            XCTAssertNotNil(record[key] as? Double, key)
        }
    }

    func testAResumedRegressionRunIsBitIdentical() throws {
        let data = Self.csv(rows: 200, features: 3, noise: 0.1, seed: 5) { $0[0] * $0[1] - $0[2] }
        let pipeline = """
            {"name": "resume", "dataset": {"kind": "csv", "path": "data.csv", "target_columns": ["y"], "validation_split": 0.25},
             "pipeline": {"batch_size": 16}, "model": {"layers": [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "mean-absolute-error", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "seed": 9}
            """
        let whole = try TemporaryDirectory()
        try data.write(to: whole.path("data.csv"), atomically: true, encoding: .utf8)
        let uninterrupted = try Self.train(pipeline, in: whole)
        let parts = try TemporaryDirectory()
        try data.write(to: parts.path("data.csv"), atomically: true, encoding: .utf8)
        var first = TrainingOverrides()
        first.epochs = 1
        _ = try Self.train(pipeline, in: parts, overrides: first)
        var second = TrainingOverrides()
        second.resume = true
        let resumed = try Self.train(pipeline, in: parts, overrides: second)
        let expected = uninterrupted.model.namedParameters.map { $0.parameter.value.scalars.map(\.bitPattern) }
        XCTAssertEqual(resumed.model.namedParameters.map { $0.parameter.value.scalars.map(\.bitPattern) }, expected)
        func lastEpoch(_ directory: TemporaryDirectory) throws -> Substring {
            let text = try String(contentsOfFile: directory.path("run").path + "/metrics.jsonl", encoding: .utf8)
            let line = try XCTUnwrap(text.split(separator: "\n").last { $0.contains("\"kind\":\"epoch\"") })
            // Everything but the timings.
            return line.split(separator: ",").filter { !$0.contains("samples_per_second") && !$0.contains("data_wait") }.joined(separator: ",")[...]
        }
        XCTAssertEqual(try lastEpoch(parts), try lastEpoch(whole))
    }
}
