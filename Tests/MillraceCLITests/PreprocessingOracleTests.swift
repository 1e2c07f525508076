import Foundation
import TestSupport
import XCTest

/// Preprocessing is part of the model: `evaluate` on a held-out CSV must read it as training did
/// (here: features divided by 16, the `normalize` entry of the pipeline), and give the numbers an
/// independent float64 evaluation of the saved weights gives; training-time validation on the same
/// file must report the same numbers as `evaluate`.
final class PreprocessingOracleTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// Rows of 4 integer features in 0..16 and a label in 0..2 that depends on them (learnable,
    /// not perfectly), from a fixed linear congruential sequence.
    private func csv(rows: Int, seed: UInt32) -> String {
        var state = seed
        func next() -> Int {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Int(state >> 16) % 17
        }
        var text = "a,b,c,d,label\n"
        for _ in 0..<rows {
            let values = (0..<4).map { _ in next() }
            let label = next() < 2 ? next() % 3 : (values[0] < 6 ? 0 : (values[1] < 8 ? 1 : 2))  // about 12% noise
            text += values.map(String.init).joined(separator: ",") + ",\(label)\n"
        }
        return text
    }

    func testEvaluateMatchesAFloat64EvaluationOfTheSavedWeightsAndTrainingValidation() throws {
        let training = directory.path("train.csv").path
        let heldOut = directory.path("held-out.csv").path
        try csv(rows: 600, seed: 1).write(toFile: training, atomically: true, encoding: .utf8)
        try csv(rows: 300, seed: 2).write(toFile: heldOut, atomically: true, encoding: .utf8)
        let pipeline = directory.path("p.json").path
        try """
        {"name": "oracle", "dataset": {"kind": "csv", "path": "\(training)", "validation_path": "\(heldOut)"},
         "pipeline": {"batch_size": 32, "threads": 2, "augmentations": [{"normalize": {"mean": [0], "std": [16]}}]},
         "model": {"layers": [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 8, "seed": 7,
         "checkpoint": {"keep_last": 1, "keep_best": 1}}
        """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(millrace, ["train", pipeline, "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(trained.output.utf8)) as? [String: Any])
        let checkpoint = try XCTUnwrap(summary["checkpoint"] as? String)

        // Training-time validation of the last epoch (the weights of the last checkpoint).
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let lastEpoch = try XCTUnwrap(lines.last { $0.contains("\"kind\":\"epoch\"") })
        let epoch = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lastEpoch.utf8)) as? [String: Any])
        let validationLoss = try XCTUnwrap(epoch["validation_loss"] as? Double)
        let validationAccuracy = try XCTUnwrap(epoch["validation_accuracy"] as? Double)

        let evaluated = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", heldOut, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let evaluation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
        let loss = try XCTUnwrap(evaluation["loss"] as? Double)
        let accuracy = try XCTUnwrap(evaluation["accuracy"] as? Double)
        XCTAssertEqual(evaluation["count"] as? Int, 300)

        // The independent truth: NumPy in float64 on the saved weights, with the preprocessing
        // written out by hand (x / 16), softmax cross-entropy averaged over the rows.
        let script = """
            import sys, numpy as np
            from safetensors.numpy import load_file
            w = load_file(sys.argv[1] + "/model.safetensors")
            data = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
            x, y = data[:, :4] / 16.0, data[:, 4].astype(int)
            h = np.maximum(x @ w["0.weight"].astype(np.float64).T + w["0.bias"].astype(np.float64), 0)
            z = h @ w["2.weight"].astype(np.float64).T + w["2.bias"].astype(np.float64)
            m = z.max(axis=1, keepdims=True)
            logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
            print(repr(float(-logp[np.arange(len(y)), y].mean())), repr(float((z.argmax(axis=1) == y).mean())))
            """
        let python = PythonInterpreter.command
        let oracle = try BuiltProducts.run(python.executable, python.arguments + ["-c", script, checkpoint, heldOut])
        XCTAssertEqual(oracle.status, 0, oracle.errors)
        let figures = oracle.output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(figures.count, 2, oracle.output)
        XCTAssertEqual(loss, figures[0], accuracy: 1e-5 * max(1, figures[0]), "evaluate's loss against float64")
        XCTAssertEqual(accuracy, figures[1], accuracy: 1e-9, "evaluate's accuracy against float64")
        XCTAssertGreaterThan(accuracy, 0.6, "the model learned something (3 classes)")
        XCTAssertEqual(validationLoss, loss, accuracy: 1e-9, "training-time validation reports evaluate's loss")
        XCTAssertEqual(validationAccuracy, accuracy, accuracy: 1e-9, "training-time validation reports evaluate's accuracy")
    }
}
