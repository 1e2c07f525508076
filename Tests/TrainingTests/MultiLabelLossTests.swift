import Foundation
import Layers
import Tensors
import Training
import XCTest

/// `binary-cross-entropy-with-logits` against hand values of PyTorch's `BCEWithLogitsLoss()`
/// definition and central finite differences, `MultiLabelSums` against counts made by hand, and
/// the configuration rules of 0/1 target columns.
final class MultiLabelLossTests: XCTestCase {
    func testTheLossIsTorchsBCEWithLogitsLossAndStableForLargeLogits() {
        // Per element max(x, 0) - x y + log(1 + exp(-|x|)), computed in float64 by hand:
        // x=2,y=1: log(1+e^-2) = 0.12692801; x=-1,y=0: log(1+e^-1) = 0.31326169; x=0,y=1: log 2;
        // x=0.5,y=0: 0.5 + log(1+e^-0.5) = 0.97407698; x=100,y=0: 100; x=-100,y=0: 3.7e-44.
        let output = Tensor(shape: [2, 3], scalars: [2, -1, 0, 0.5, 100, -100])
        let targets = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 0])
        let (value, gradient) = BinaryCrossEntropyWithLogitsLoss().evaluate(output, targets: targets)
        XCTAssertEqual(value, 17.01790231055021, accuracy: 1e-5)
        // (σ(x) - y) / 6, by hand in float64.
        let expected: [Float] = [-0.01986715367035295, 0.04482357022833252, -0.08333333333333333, 0.10374322186697577, 1.0 / 6, 0]
        for (index, (analytic, truth)) in zip(gradient.scalars, expected).enumerated() {
            XCTAssertEqual(analytic, truth, accuracy: 1e-7, "element \(index)")
        }
        XCTAssertTrue(gradient.scalars.allSatisfy(\.isFinite))
    }

    func testTheGradientIsTheCentralFiniteDifference() {
        var generator = RandomGenerator(seed: 31)
        let output = Tensor(shape: [4, 3], generating: { _ in generator.uniform(from: -3, to: 3) })
        let targets = Tensor(shape: [4, 3], generating: { Float(($0 * 7 + 1) % 3 == 0 ? 1 : 0) })
        let loss = BinaryCrossEntropyWithLogitsLoss()
        let gradient = loss.evaluate(output, targets: targets).gradient
        let step: Float = 1e-2
        for index in 0..<output.count {
            var plus = output
            var minus = output
            plus[flat: index] += step
            minus[flat: index] -= step
            let numeric =
                (Double(loss.evaluate(plus, targets: targets).value) - Double(loss.evaluate(minus, targets: targets).value))
                / Double(plus[flat: index] - minus[flat: index])
            XCTAssertEqual(Double(gradient[flat: index]), numeric, accuracy: 1e-4, "element \(index)")
        }
    }

    func testTheLossIsRegisteredForTargetColumnsAsMultiLabel() {
        XCTAssertEqual(LossRegistry.targetKind(ofLoss: "binary-cross-entropy-with-logits"), .multiLabel)
        XCTAssertTrue(LossRegistry.isRegression("binary-cross-entropy-with-logits"), "a loss for target_columns")
        for name in ["mean-squared-error", "mean-absolute-error", "huber"] { XCTAssertEqual(LossRegistry.targetKind(ofLoss: name), .regression) }
        for name in ["cross-entropy", "mse", "sum-of-squares", "no-such-loss"] { XCTAssertNil(LossRegistry.targetKind(ofLoss: name), name) }
    }

    /// Four rows of three labels, counted by hand. Row 1's third probability is exactly 0.5: not
    /// above the threshold, so not predicted.
    func testSumsAreTheCountsMadeByHand() {
        let probabilities = Tensor(shape: [4, 3], scalars: [0.9, 0.2, 0.6, 0.4, 0.7, 0.5, 0.8, 0.1, 0.3, 0.1, 0.6, 0.95])
        let targets = Tensor(shape: [4, 3], scalars: [1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1])
        let sums = MultiLabelSums(probabilities: probabilities, targets: targets)
        // Label 0: TP row 0, FN row 1, FP row 2, TN row 3. Labels 1 and 2: two TP and two TN each.
        XCTAssertEqual(sums.truePositives, [1, 2, 2])
        XCTAssertEqual(sums.falsePositives, [1, 0, 0])
        XCTAssertEqual(sums.falseNegatives, [1, 0, 0])
        XCTAssertEqual(sums.trueNegatives, [1, 2, 2])
        XCTAssertEqual(sums.rows, 4)
        XCTAssertEqual(sums.exactRows, 2)  // rows 0 and 3
        XCTAssertEqual(sums.accuracy, 10.0 / 12)
        XCTAssertEqual(sums.exactMatch, 0.5)
        // Micro: TP 5, FP 1, FN 1.
        XCTAssertEqual(sums.precision, 5.0 / 6)
        XCTAssertEqual(sums.recall, 5.0 / 6)
        XCTAssertEqual(sums.f1, 10.0 / 12)
        XCTAssertEqual(
            sums.metrics(prefix: "validation_"), ["validation_accuracy": 10.0 / 12, "validation_exact_match": 0.5, "validation_f1": 10.0 / 12])
        let labels = sums.perLabel(names: ["hot", "rain", "windy"])
        XCTAssertEqual(labels.map(\.name), ["hot", "rain", "windy"])
        XCTAssertEqual(labels.map(\.support), [2, 2, 2])
        XCTAssertEqual(labels.map(\.precision), [0.5, 1, 1])
        XCTAssertEqual(labels.map(\.recall), [0.5, 1, 1])
        XCTAssertEqual(labels.map(\.f1), [0.5, 1, 1])
        // Flat figures round-trip, and two halves add up to the whole.
        XCTAssertEqual(MultiLabelSums(figures: [0] + sums.figures, start: 1, labels: 3), sums)
        XCTAssertEqual(sums.figures.count, MultiLabelSums.width(labels: 3))
        let first = MultiLabelSums(probabilities: probabilities.rows(0..<1), targets: targets.rows(0..<1))
        let rest = MultiLabelSums(probabilities: probabilities.rows(1..<4), targets: targets.rows(1..<4))
        XCTAssertEqual(first + rest, sums)
    }

    func testFiguresWithoutAnyPositiveAreZeroNotNaN() {
        let sums = MultiLabelSums(probabilities: Tensor(shape: [2, 2], repeating: 0.1), targets: Tensor(shape: [2, 2]))
        XCTAssertEqual(sums.accuracy, 1)
        XCTAssertEqual(sums.exactMatch, 1)
        XCTAssertEqual([sums.precision, sums.recall, sums.f1], [0, 0, 0])
        let empty = MultiLabelSums(labels: 2)
        XCTAssertEqual([empty.accuracy, empty.exactMatch, empty.f1], [0, 0, 0])
    }

    func testZeroOneTargetsAndTheirLossAreCheckedTogether() throws {
        func decode(_ dataset: String, loss: String, extra: String = "") throws -> RunConfiguration {
            let text = """
                {"name": "m", "dataset": {"kind": "csv", "path": "data.csv", \(dataset)}, "model": {"layers": [{"type": "dense"}]},
                 "loss": "\(loss)", "pipeline": {"batch_size": 8}, "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 0\(extra)}
                """
            return try RunConfiguration.decode(Data(text.utf8), path: "p.json")
        }
        let cases: [(dataset: String, loss: String, extra: String, fragments: [String])] = [
            (
                #""label_column": "label""#, "binary-cross-entropy-with-logits", "",
                ["'loss'", "a multi-label loss (0/1 target columns)", "class labels", "the 0/1 label columns"]
            ),
            (
                #""target_columns": ["a", "b"], "normalize_targets": false"#, "binary-cross-entropy-with-logits", "",
                ["dataset.normalize_targets", "0/1 labels, which are never scaled", "remove normalize_targets"]
            ),
            (#""target_columns": ["a"]"#, "cross-entropy", "", ["'loss'", "binary-cross-entropy-with-logits for 0/1 labels"]),
            // A regression still has no accuracy to watch.
            (#""target_columns": ["a"]"#, "huber", #", "checkpoint": {"metric": "validation_accuracy"}"#, ["checkpoint.metric"]),
        ]
        for entry in cases {
            XCTAssertThrowsError(try decode(entry.dataset, loss: entry.loss, extra: entry.extra), entry.dataset) { error in
                for fragment in entry.fragments { XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' not in \(error)") }
            }
        }
        // Multi-label: the accuracy (of labels) may rank checkpoints and be watched.
        let good = #", "checkpoint": {"metric": "validation_accuracy"}, "early_stopping": {"metric": "accuracy", "patience": 2}"#
        XCTAssertEqual(try decode(#""target_columns": ["a", "b"]"#, loss: "binary-cross-entropy-with-logits", extra: good).targetKind, .multiLabel)
        XCTAssertEqual(try decode(#""target_columns": ["a"]"#, loss: "huber").targetKind, .regression)
        XCTAssertNil(try decode(#""label_column": "a""#, loss: "cross-entropy").targetKind)
    }
}
