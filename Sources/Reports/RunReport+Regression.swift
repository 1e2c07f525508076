import Foundation
import Training

extension RunReport {
    /// Whether the run trained a regression (`dataset.target_columns`): its page shows RMSE, MAE
    /// and R² and a predicted-vs-true scatter where a classifier's shows accuracy and a confusion matrix.
    public var isRegression: Bool {
        guard !isMultiLabel else { return false }
        return configuration?.dataset.isRegression == true || evaluation?.regression != nil
            || history.epochs.contains { $0.values["rmse"] != nil }
    }

    /// A regression's summary figures (in the targets' own units).
    var regressionFigures: [(String, String)] {
        let last = history.epochs.last?.values ?? [:]
        var figures: [(String, String)] = []
        if let rmse = last["rmse"] { figures.append(("final training RMSE", RunReport.figure(rmse))) }
        if let rmse = last["validation_rmse"] { figures.append(("final validation RMSE", RunReport.figure(rmse))) }
        if let best = history.epochs.compactMap({ $0.values["validation_rmse"] }).min() {
            figures.append(("best validation RMSE", RunReport.figure(best)))
        }
        if let mae = last["validation_mae"] { figures.append(("final validation MAE", RunReport.figure(mae))) }
        if let r2 = last["validation_r2"] { figures.append(("final validation R²", String(format: "%.4f", r2))) }
        return figures
    }

    /// The RMSE, MAE and R² curves: training (logged steps and epoch figures) and validation.
    var regressionCharts: [SVGLineChart] {
        let steps = history.steps
        let epochs = history.epochs
        func chart(_ title: String, _ key: String, unit: String, fromZero: Bool) -> SVGLineChart {
            SVGLineChart(
                title: title, xLabel: "step", yLabel: unit,
                series: [
                    .init(name: "training (logged steps)", points: RunHistory.series(steps, key), color: "#93c5fd"),
                    .init(name: "training (epoch)", points: RunHistory.series(epochs, key), color: "#2563eb"),
                    .init(name: "validation", points: RunHistory.series(epochs, "validation_\(key)"), color: "#ea580c", dashed: true),
                ], fromZero: fromZero)
        }
        return [
            chart("RMSE", "rmse", unit: "root mean squared error", fromZero: true),
            chart("MAE", "mae", unit: "mean absolute error", fromZero: true),
            chart("R²", "r2", unit: "coefficient of determination", fromZero: false),
        ]
    }

    /// A regression's evaluation: its figures, a table per target and one scatter per target.
    func regressionEvaluation(_ evaluation: Evaluation, figures: RegressionFigures) -> String {
        var out = String(
            format: "<p class=\"lead\">%d samples: RMSE <strong>%@</strong>, MAE %@, R² %.4f, mean loss %.4f.</p>", evaluation.count,
            RunReport.figure(figures.rmse), RunReport.figure(figures.mae), figures.r2, evaluation.loss)
        out += "<div class=\"side\"><table><caption>Per target</caption><thead><tr><th>target</th><th>samples</th>"
        out += "<th>RMSE</th><th>MAE</th><th>R²</th></tr></thead><tbody>"
        for target in predictions {
            let figures = target.figures
            out += "<tr><td>\(HTMLText.escape(target.name))</td><td class=\"number\">\(target.truth.count)</td>"
            out += "<td class=\"number\">\(RunReport.figure(figures.rmse))</td><td class=\"number\">\(RunReport.figure(figures.mae))</td>"
            out += String(format: "<td class=\"number\">%.4f</td></tr>", figures.r2)
        }
        out += "</tbody></table>"
        for target in predictions {
            let plot = SVGScatterPlot(title: "Predicted vs true: \(target.name)", truth: target.truth, predicted: target.predicted)
            let shown = plot.drawn.count
            let thinned = shown < target.truth.count ? " (\(shown) of the \(target.truth.count) samples, evenly spaced)" : ""
            out += "<figure>\(plot.svg())<figcaption>Each dot is a validation sample\(thinned): its true \(HTMLText.escape(target.name)) "
            out += "across, the prediction up; the dashed diagonal is a perfect prediction.</figcaption></figure>"
        }
        return out + "</div>"
    }

    /// A figure in the targets' own units: five significant digits.
    static func figure(_ value: Double) -> String { String(format: "%.5g", value) }
}
