import Layers
import Tensors

/// The counts behind the multi-label figures: per label, the true and false positives and
/// negatives of the predictions (a label is predicted when its probability is above 0.5), and
/// the rows and the rows whose every label is right. Counts are whole numbers held as doubles
/// (exact below 2^53), added in one fixed order (chunk, then batch), so the figures are the same
/// bits on any number of ranks.
///
/// The figures are torchmetrics' at threshold 0.5: `accuracy` is `MultilabelAccuracy` (the
/// share of right (row, label) cells, Keras's `binary_accuracy`, also called 1 - Hamming loss),
/// `exactMatch` is `MultilabelExactMatch` (scikit-learn's subset accuracy) and `f1` is micro-F1,
/// `MultilabelF1Score(average="micro")`: one F1 over every cell, which stays defined when a label
/// is rare or absent (each label's own F1 is in `perLabel(names:)`).
public struct MultiLabelSums: Codable, Sendable, Equatable {
    /// The number of rows.
    public var rows = 0.0
    /// The rows whose every label is predicted right.
    public var exactRows = 0.0
    /// Per label: predicted 1, truly 1.
    public var truePositives: [Double]
    /// Per label: predicted 1, truly 0.
    public var falsePositives: [Double]
    /// Per label: predicted 0, truly 1.
    public var falseNegatives: [Double]
    /// Per label: predicted 0, truly 0.
    public var trueNegatives: [Double]

    /// No rows yet, for `labels` labels.
    public init(labels: Int) {
        truePositives = [Double](repeating: 0, count: labels)
        falsePositives = truePositives
        falseNegatives = truePositives
        trueNegatives = truePositives
    }

    /// The counts of `probabilities` (`[rows, labels]`, the logistic function of the model's
    /// outputs) against 0/1 `targets` of the same shape.
    public init(probabilities: Tensor, targets: Tensor) {
        let labels = max(probabilities.shape.last ?? 1, 1)
        self.init(labels: labels)
        let rowCount = min(probabilities.count, targets.count) / labels
        probabilities.withUnsafeBufferPointer { probability in
            targets.withUnsafeBufferPointer { target in
                for row in 0..<rowCount {
                    var allRight = true
                    for label in 0..<labels {
                        let index = row * labels + label
                        let (predicted, truth) = (MultiLabelSums.isPredicted(probability[index]), target[index] == 1)
                        switch (predicted, truth) {
                        case (true, true): truePositives[label] += 1
                        case (true, false): falsePositives[label] += 1
                        case (false, true): falseNegatives[label] += 1
                        case (false, false): trueNegatives[label] += 1
                        }
                        allRight = allRight && predicted == truth
                    }
                    if allRight { exactRows += 1 }
                }
            }
        }
        rows = Double(rowCount)
    }

    /// Whether a label of `probability` is predicted: above 0.5 (torchmetrics' threshold rule).
    public static func isPredicted(_ probability: Float) -> Bool { probability > 0.5 }

    /// The model's outputs (logits) as probabilities: the logistic function of each.
    public static func probabilities(_ logits: Tensor) -> Tensor {
        Tensor(shape: logits.shape, scalars: logits.scalars.map(Sigmoid.logistic))
    }

    /// The number of labels.
    public var labels: Int { truePositives.count }

    /// How many figures the counts of `labels` labels are (`figures`).
    public static func width(labels: Int) -> Int { 2 + 4 * labels }

    /// The counts as a flat list (for gathering across ranks): rows, exact rows, then the true
    /// positives, false positives, false negatives and true negatives of every label.
    public var figures: [Double] { [rows, exactRows] + truePositives + falsePositives + falseNegatives + trueNegatives }

    /// Counts of `labels` labels from `figures` (`width(labels:)` values starting at `start`).
    public init(figures: [Double], start: Int = 0, labels: Int) {
        rows = figures[start]
        exactRows = figures[start + 1]
        func part(_ index: Int) -> [Double] { Array(figures[(start + 2 + index * labels)..<(start + 2 + (index + 1) * labels)]) }
        truePositives = part(0)
        falsePositives = part(1)
        falseNegatives = part(2)
        trueNegatives = part(3)
    }

    /// Both counts added (of the same labels).
    public static func + (lhs: MultiLabelSums, rhs: MultiLabelSums) -> MultiLabelSums {
        MultiLabelSums(figures: zip(lhs.figures, rhs.figures).map { $0 + $1 }, labels: lhs.labels)
    }

    /// The share of (row, label) cells predicted right (0 without rows).
    public var accuracy: Double {
        let right = (0..<labels).reduce(0.0) { $0 + truePositives[$1] + trueNegatives[$1] }
        return right / max(rows * Double(labels), 1)
    }

    /// The share of rows whose every label is right (0 without rows).
    public var exactMatch: Double { exactRows / max(rows, 1) }

    /// The true positives, false positives and false negatives of every label added up.
    private var pooled: (truePositives: Double, falsePositives: Double, falseNegatives: Double) {
        (truePositives.reduce(0, +), falsePositives.reduce(0, +), falseNegatives.reduce(0, +))
    }

    /// Micro-precision: every label's true positives over every predicted 1 (0 when none was predicted).
    public var precision: Double { MultiLabelSums.ratio(pooled.truePositives, pooled.truePositives + pooled.falsePositives) }

    /// Micro-recall: every label's true positives over every true 1 (0 when there is none).
    public var recall: Double { MultiLabelSums.ratio(pooled.truePositives, pooled.truePositives + pooled.falseNegatives) }

    /// Micro-F1, `2 TP / (2 TP + FP + FN)` over every cell (0 when no 1 is predicted or true, as
    /// torchmetrics and scikit-learn's `zero_division=0`).
    public var f1: Double {
        let (tp, fp, fn) = pooled
        return MultiLabelSums.ratio(2 * tp, 2 * tp + fp + fn)
    }

    /// Each label's support (its true 1s), precision, recall and F1, named by `names` (the target columns).
    public func perLabel(names: [String]) -> [Evaluation.ClassFigures] {
        (0..<labels).map { label in
            let (tp, fp, fn) = (truePositives[label], falsePositives[label], falseNegatives[label])
            return Evaluation.ClassFigures(
                name: label < names.count ? names[label] : "\(label)", support: Int(tp + fn), precision: MultiLabelSums.ratio(tp, tp + fp),
                recall: MultiLabelSums.ratio(tp, tp + fn), f1: MultiLabelSums.ratio(2 * tp, 2 * tp + fp + fn))
        }
    }

    /// `accuracy`, `exact_match` and `f1`, each name prefixed by `prefix` (such as `validation_`).
    public func metrics(prefix: String = "") -> [String: Double] {
        ["\(prefix)accuracy": accuracy, "\(prefix)exact_match": exactMatch, "\(prefix)f1": f1]
    }

    /// `part / whole`, 0 when `whole` is 0.
    private static func ratio(_ part: Double, _ whole: Double) -> Double { whole > 0 ? part / whole : 0 }
}

/// A multi-label model's figures on data (`MultiLabelSums`); `Evaluation.accuracy` is `accuracy`
/// too, and `Evaluation.perClass` holds each label's figures.
public struct MultiLabelFigures: Codable, Sendable, Equatable {
    /// The share of (row, label) cells predicted right.
    public var accuracy: Double
    /// The share of rows whose every label is right.
    public var exactMatch: Double
    /// Micro-F1.
    public var f1: Double
    /// Micro-precision.
    public var precision: Double
    /// Micro-recall.
    public var recall: Double

    /// The figures of `sums`.
    public init(_ sums: MultiLabelSums) {
        accuracy = sums.accuracy
        exactMatch = sums.exactMatch
        f1 = sums.f1
        precision = sums.precision
        recall = sums.recall
    }
}
