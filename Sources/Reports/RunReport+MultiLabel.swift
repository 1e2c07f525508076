import Foundation
import Training

extension RunReport {
    /// Whether the run trained a multi-label classifier (0/1 `target_columns` with
    /// `binary-cross-entropy-with-logits`): its page adds the exact-match ratio and F1 to the
    /// accuracy (of labels), and shows a per-label table where a classifier's shows a confusion matrix.
    public var isMultiLabel: Bool {
        configuration?.targetKind == .multiLabel || evaluation?.multiLabel != nil
            || history.epochs.contains { $0.values["exact_match"] != nil }
    }

    /// A multi-label run's summary figures besides the accuracy.
    var multiLabelFigures: [(String, String)] {
        let last = history.epochs.last?.values ?? [:]
        var figures: [(String, String)] = []
        if let exact = last["validation_exact_match"] { figures.append(("final validation exact match", String(format: "%.2f%%", exact * 100))) }
        if let f1 = last["validation_f1"] { figures.append(("final validation F1 (micro)", String(format: "%.4f", f1))) }
        return figures
    }

    /// The exact-match and F1 curves: training (logged steps and epoch figures) and validation.
    var multiLabelCharts: [SVGLineChart] {
        func chart(_ title: String, _ key: String, unit: String) -> SVGLineChart {
            var chart = SVGLineChart(
                title: title, xLabel: "step", yLabel: unit,
                series: [
                    .init(name: "training (logged steps)", points: RunHistory.series(history.steps, key, scale: 100), color: "#93c5fd"),
                    .init(name: "training (epoch)", points: RunHistory.series(history.epochs, key, scale: 100), color: "#2563eb"),
                    .init(
                        name: "validation", points: RunHistory.series(history.epochs, "validation_\(key)", scale: 100), color: "#ea580c",
                        dashed: true),
                ])
            chart.format = SVGLineChart.percent
            return chart
        }
        return [chart("Exact match", "exact_match", unit: "rows with every label right (%)"), chart("F1 (micro)", "f1", unit: "F1 (%)")]
    }

    /// A multi-label evaluation: its figures and a table of each label's support, precision,
    /// recall and F1 (in place of a confusion matrix).
    func multiLabelEvaluation(_ evaluation: Evaluation, figures: MultiLabelFigures) -> String {
        var out = String(
            format: "<p class=\"lead\">%d samples: accuracy <strong>%.2f%%</strong> of labels, exact match %.2f%% of rows, "
                + "micro-F1 %.4f, mean loss %.4f.</p>", evaluation.count, figures.accuracy * 100, figures.exactMatch * 100, figures.f1,
            evaluation.loss)
        out += "<table><caption>Per label (predicted when its probability is above 0.5)</caption><thead><tr><th>label</th>"
        out += "<th>support</th><th>precision</th><th>recall</th><th>F1</th></tr></thead><tbody>"
        for label in evaluation.perClass {
            out += "<tr><td>\(HTMLText.escape(label.name))</td><td class=\"number\">\(label.support)</td>"
            out += String(
                format: "<td class=\"number\">%.3f</td><td class=\"number\">%.3f</td><td class=\"number\">%.3f</td></tr>", label.precision,
                label.recall, label.f1 ?? 0)
        }
        return out + "</tbody></table>"
    }
}
