import Foundation
import TestSupport
import XCTest

/// A CSV run with a categorical column and a numeric column with empty fields, end to end: the
/// checkpoint saves the training file's categories and mean, and `evaluate` and `predict` apply
/// them (an unseen category is the unknown one, an empty size the training mean), giving what
/// NumPy gives on the saved weights with the encoding written out by hand.
final class CategoricalPipelineTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// Rows `color,size,label` from a fixed sequence: colors from `colors`, sizes 0-16 with about
    /// one in eight empty, and a label that depends on both (learnable, with some noise).
    private func csv(rows: Int, seed: UInt32, colors: [String]) -> String {
        var state = seed
        func next() -> Int {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Int(state >> 16)
        }
        var text = "color,size,label\n"
        for _ in 0..<rows {
            let color = next() % colors.count
            let size = next() % 17
            let empty = next() % 8 == 0
            let label = next() % 10 == 0 ? next() % 3 : (color + (size > 8 ? 1 : 0)) % 3
            text += "\(colors[color]),\(empty ? "" : String(size)),\(label)\n"
        }
        return text
    }

    private func pipeline(training: String, validation: String, missing: String) throws -> String {
        let path = directory.path("p-\(missing).json").path
        try """
        {"name": "categorical", "dataset": {"kind": "csv", "path": "\(training)", "validation_path": "\(validation)",
          "categorical_columns": ["color"], "missing": "\(missing)"},
         "pipeline": {"batch_size": 32, "threads": 2, "augmentations": [{"normalize": {"mean": [8], "std": [4]}}]},
         "model": {"layers": [{"type": "dense"}]}, "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.05},
         "epochs": 6, "seed": 3, "checkpoint": {"keep_last": 1}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testCheckpointKeepsCategoriesAndMeanAndEvaluateAndPredictApplyThem() throws {
        let training = directory.path("train.csv").path
        let evaluation = directory.path("evaluation.csv").path
        let trainingText = csv(rows: 400, seed: 11, colors: ["red", "blue", "green"])
        try trainingText.write(toFile: training, atomically: true, encoding: .utf8)
        // Purple never occurs in training: it must be read as the unknown category.
        let evaluationText = csv(rows: 150, seed: 12, colors: ["red", "blue", "green", "purple"])
        XCTAssertTrue(evaluationText.contains("\npurple,") && evaluationText.contains(",,"), "unseen colors and empty sizes to evaluate")
        try evaluationText.write(toFile: evaluation, atomically: true, encoding: .utf8)
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(
            millrace, ["train", try pipeline(training: training, validation: evaluation, missing: "mean"), "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let checkpoint = try XCTUnwrap(try object(trained.output)["checkpoint"] as? String)

        // The saved preprocessing against the training file read here: categories in order of
        // first appearance, the mean of the sizes that are given.
        let rows = trainingText.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        var colors: [String] = []
        for row in rows where !colors.contains(String(row[0])) { colors.append(String(row[0])) }
        let sizes = rows.compactMap { Double($0[1]) }
        XCTAssertLessThan(sizes.count, rows.count, "some sizes are empty")
        let mean = Float(sizes.reduce(0, +) / Double(sizes.count))
        let manifest = try object(try String(contentsOfFile: checkpoint + "/manifest.json", encoding: .utf8))
        let preprocessing = try XCTUnwrap(manifest["preprocessing"] as? [String: Any])
        let categories = try XCTUnwrap(preprocessing["categories"] as? [[String: Any]])
        XCTAssertEqual(categories.count, 1)
        XCTAssertEqual(categories.first?["column"] as? String, "color")
        XCTAssertEqual(categories.first?["values"] as? [String], colors)
        let fills = try XCTUnwrap(preprocessing["fillValues"] as? [[String: Any]])
        XCTAssertEqual(fills.first?["column"] as? String, "size")
        XCTAssertEqual((fills.first?["value"] as? Double).map(Float.init), mean)

        let evaluated = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", evaluation, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let figures = try object(evaluated.output)
        let predicted = try BuiltProducts.run(millrace, ["predict", checkpoint, evaluation, "--json", "--top", "3"])
        XCTAssertEqual(predicted.status, 0, predicted.errors)
        let results = try XCTUnwrap(try object(predicted.output)["results"] as? [[String: Any]])
        let probabilities = try results.map { result in
            let ranked = try XCTUnwrap(result["predictions"] as? [[String: Any]])
            return try (0..<3).map { label in
                try XCTUnwrap(ranked.first { $0["class"] as? String == String(label) }?["probability"] as? Double)
            }
        }

        // The truth: the encoding written out (one-hot of the training colors and an unknown
        // slot, the size or the training mean, (size - 8) / 4), the saved weights in float64.
        let script = """
            import csv, json, sys, numpy as np
            from safetensors.numpy import load_file
            w = load_file(sys.argv[1] + "/model.safetensors")
            colors, mean = json.loads(sys.argv[3]), float(np.float32(sys.argv[4]))
            x, y = [], []
            for row in list(csv.reader(open(sys.argv[2])))[1:]:
                onehot = [0.0] * (len(colors) + 1)
                onehot[colors.index(row[0]) if row[0] in colors else len(colors)] = 1.0
                size = float(row[1]) if row[1] != "" else mean
                x.append(onehot + [(size - 8) / 4]); y.append(int(row[2]))
            x, y = np.array(x), np.array(y)
            z = x @ w["0.weight"].astype(np.float64).T + w["0.bias"].astype(np.float64)
            p = np.exp(z - z.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
            print(json.dumps({"loss": float(-np.log(p[np.arange(len(y)), y]).mean()), "accuracy": float((z.argmax(1) == y).mean()),
                              "probabilities": p.tolist()}))
            """
        let python = PythonInterpreter.command
        let oracle = try BuiltProducts.run(
            python.executable, python.arguments + ["-c", script, checkpoint, evaluation, "[\"\(colors.joined(separator: "\",\""))\"]", "\(mean)"])
        XCTAssertEqual(oracle.status, 0, oracle.errors)
        let truth = try object(oracle.output)
        XCTAssertEqual(figures["count"] as? Int, 150)
        XCTAssertEqual(try XCTUnwrap(figures["loss"] as? Double), try XCTUnwrap(truth["loss"] as? Double), accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(figures["accuracy"] as? Double), try XCTUnwrap(truth["accuracy"] as? Double), accuracy: 1e-9)
        XCTAssertGreaterThan(try XCTUnwrap(figures["accuracy"] as? Double), 0.5, "the model learned from the color and the size")
        let expected = try XCTUnwrap(truth["probabilities"] as? [[Double]])
        XCTAssertEqual(probabilities.count, expected.count)
        for (row, (got, want)) in zip(probabilities, expected).enumerated() {
            for (value, truth) in zip(got, want) { XCTAssertEqual(value, truth, accuracy: 1e-5, "row \(row)") }
        }
    }

    /// Under the default policy an empty size is an error naming the file, line and column, and
    /// the keys that fill it.
    func testAnEmptyNumberUnderTheErrorPolicyNamesItsPlaceAndTheFix() throws {
        let training = directory.path("train.csv").path
        try "color,size,label\nred,3,0\nblue,,1\ngreen,5,2\n".write(toFile: training, atomically: true, encoding: .utf8)
        let result = try BuiltProducts.run(
            millrace, ["train", try pipeline(training: training, validation: training, missing: "error"), "--run-dir", directory.path("run").path])
        XCTAssertEqual(result.status, 1)
        for fragment in ["train.csv:3:2", "empty field in numeric column 'size'", "dataset.missing \"mean\"", "\"zero\""] {
            XCTAssertTrue(result.errors.contains(fragment), "\(fragment) in \(result.errors)")
        }
    }
}
