import Foundation
import Training

extension RunReport {
    /// The page: one HTML document with inline CSS and SVG, nothing fetched.
    public func html() -> String {
        let name = HTMLText.escape(configuration?.name ?? URL(fileURLWithPath: runDirectory).lastPathComponent)
        var body = "<header><h1>Run report: \(name)</h1>"
        body += "<p class=\"muted\">Run directory <code>\(HTMLText.escape(runDirectory))</code></p></header>"
        body += summarySection()
        body += chartsSection()
        body += evaluationSection()
        body += checkpointsSection()
        body += "<section id=\"configuration\"><h2>Configuration</h2>"
        body += configurationText.map { "<pre>\(HTMLText.escape($0))</pre>" } ?? "<p>No readable configuration.json.</p>"
        body += "</section>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Run report: \(name)</title>
            <style>\(RunReport.styleSheet)</style>
            </head><body>
            \(body)
            </body></html>

            """
    }

    private func summarySection() -> String {
        let last = history.epochs.last?.values ?? [:]
        let bestAccuracy = history.epochs.compactMap { $0.values["validation_accuracy"] }.max()
        var figures: [(String, String)] = [
            ("epochs", "\(history.epochs.count)"), ("steps", "\(history.epochs.last?.step ?? history.steps.last?.step ?? 0)"),
        ]
        if let loss = last["loss"] { figures.append(("final training loss", String(format: "%.4f", loss))) }
        if isRegression {
            figures += regressionFigures
        } else {
            if let accuracy = last["accuracy"] { figures.append(("final training accuracy", String(format: "%.2f%%", accuracy * 100))) }
            if let accuracy = last["validation_accuracy"] {
                figures.append(("final validation accuracy", String(format: "%.2f%%", accuracy * 100)))
            }
            if let bestAccuracy { figures.append(("best validation accuracy", String(format: "%.2f%%", bestAccuracy * 100))) }
            if isMultiLabel { figures += multiLabelFigures }
        }
        if let speed = last["samples_per_second"] { figures.append(("last epoch", String(format: "%.0f samples/s", speed))) }
        var out = "<section id=\"summary\"><h2>Summary</h2><dl class=\"figures\">"
        for (label, value) in figures { out += "<div><dt>\(label)</dt><dd>\(HTMLText.escape(value))</dd></div>" }
        out += "</dl>"
        if history.skippedLines > 0 {
            out +=
                "<p class=\"note\">\(history.skippedLines) line(s) of metrics.jsonl could not be read (a line cut short when a run was stopped) and were left out.</p>"
        }
        return out + "</section>"
    }

    private func chartsSection() -> String {
        let steps = history.steps
        let epochs = history.epochs
        let blue = "#2563eb"
        let orange = "#ea580c"
        let green = "#16a34a"
        let loss = SVGLineChart(
            title: "Loss", xLabel: "step", yLabel: "loss",
            series: [
                .init(name: "training (logged steps)", points: RunHistory.series(steps, "loss"), color: "#93c5fd"),
                .init(name: "training (epoch mean)", points: RunHistory.series(epochs, "loss"), color: blue),
                .init(name: "validation", points: RunHistory.series(epochs, "validation_loss"), color: orange, dashed: true),
            ], fromZero: true)
        var accuracy = SVGLineChart(
            title: "Accuracy", xLabel: "step", yLabel: "accuracy (%)",
            series: [
                .init(name: "training (logged steps)", points: RunHistory.series(steps, "accuracy", scale: 100), color: "#93c5fd"),
                .init(name: "training (epoch mean)", points: RunHistory.series(epochs, "accuracy", scale: 100), color: blue),
                .init(name: "validation", points: RunHistory.series(epochs, "validation_accuracy", scale: 100), color: orange, dashed: true),
            ])
        accuracy.format = SVGLineChart.percent
        let rate = SVGLineChart(
            title: "Learning rate", xLabel: "step", yLabel: "learning rate",
            series: [.init(name: "learning rate", points: RunHistory.series(steps.isEmpty ? epochs : steps, "learning_rate"), color: green)],
            fromZero: true)
        let speed = SVGLineChart(
            title: "Throughput", xLabel: "step", yLabel: "samples/s",
            series: [
                .init(name: "epoch so far (logged steps)", points: RunHistory.series(steps, "samples_per_second"), color: "#93c5fd"),
                .init(name: "whole epoch", points: RunHistory.series(epochs, "samples_per_second"), color: blue),
            ], fromZero: true)
        var wait = SVGLineChart(
            title: "Data-wait share", xLabel: "step", yLabel: "time waiting for data (%)",
            series: [
                .init(name: "logged steps", points: RunHistory.series(steps, "data_wait", scale: 100), color: "#fdba74"),
                .init(name: "epochs", points: RunHistory.series(epochs, "data_wait", scale: 100), color: orange),
            ], fromZero: true)
        wait.format = SVGLineChart.percent
        var out = "<section id=\"curves\"><h2>Training curves</h2><div class=\"charts\">"
        let quality = isRegression ? regressionCharts : [accuracy] + (isMultiLabel ? multiLabelCharts : [])
        for chart in [loss] + quality + [rate, speed, wait] { out += "<figure>\(chart.svg())</figure>" }
        return out + "</div></section>"
    }

    private func evaluationSection() -> String {
        var out = "<section id=\"evaluation\"><h2>Best checkpoint on the validation data</h2>"
        out += "<p>\(HTMLText.escape(evaluationNote))</p>"
        guard let evaluation else { return out + "</section>" }
        if let figures = evaluation.regression { return out + regressionEvaluation(evaluation, figures: figures) + "</section>" }
        if let figures = evaluation.multiLabel { return out + multiLabelEvaluation(evaluation, figures: figures) + "</section>" }
        out += String(
            format: "<p class=\"lead\">%d samples: accuracy <strong>%.2f%%</strong>, mean loss %.4f.</p>", evaluation.count,
            evaluation.accuracy * 100, evaluation.loss)
        out += "<div class=\"side\"><table><caption>Per class</caption><thead><tr><th>class</th><th>support</th>"
        out += "<th>precision</th><th>recall</th></tr></thead><tbody>"
        for figures in evaluation.perClass {
            out += "<tr><td>\(HTMLText.escape(figures.name))</td><td class=\"number\">\(figures.support)</td>"
            out += String(format: "<td class=\"number\">%.3f</td><td class=\"number\">%.3f</td></tr>", figures.precision, figures.recall)
        }
        out += "</tbody></table><figure>"
        out += SVGConfusionMatrix(confusion: evaluation.confusion, classNames: evaluation.perClass.map(\.name)).svg()
        out += "<figcaption>Confusion matrix: rows are true classes, columns predicted; shading is the share of the row.</figcaption>"
        return out + "</figure></div></section>"
    }

    private func checkpointsSection() -> String {
        var out = "<section id=\"checkpoints\"><h2>Checkpoints kept</h2>"
        out += "<p>In <code>\(HTMLText.escape(checkpointDirectory))</code>.</p>"
        guard !checkpoints.isEmpty else { return out + "<p>None.</p></section>" }
        // A regression's checkpoints of earlier versions recorded an accuracy of 0: not shown.
        let keys = Array(Set(checkpoints.flatMap { $0.metrics.keys })).filter { !isRegression || !$0.hasSuffix("accuracy") }.sorted()
        out += "<table><thead><tr><th>checkpoint</th><th>step</th>"
        for key in keys { out += "<th>\(HTMLText.escape(key.replacingOccurrences(of: "_", with: " ")))</th>" }
        out += "</tr></thead><tbody>"
        for checkpoint in checkpoints {
            let marker = checkpoint.name == bestCheckpoint ? " <span class=\"badge\">best</span>" : ""
            out += "<tr><td><code>\(HTMLText.escape(checkpoint.name))</code>\(marker)</td><td class=\"number\">\(checkpoint.step)</td>"
            for key in keys {
                out += "<td class=\"number\">\(checkpoint.metrics[key].map { String(format: "%.4f", $0) } ?? "")</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></section>"
    }

    /// The page's CSS, screen and print.
    static let styleSheet = """
        :root{color-scheme:light}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#18181b;background:#fff;max-width:1360px;margin:0 auto;padding:24px}
        h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;border-bottom:1px solid #e4e4e7;padding-bottom:4px;margin-top:32px}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
        pre{background:#f4f4f5;padding:12px;overflow:auto;border-radius:6px;white-space:pre-wrap}
        .muted{color:#52525b;margin:0}.note{color:#9a3412}.lead{font-size:1.1em}
        .figures{display:flex;flex-wrap:wrap;gap:12px;margin:0}.figures div{border:1px solid #e4e4e7;border-radius:6px;padding:8px 14px}
        dt{font-size:.8em;color:#52525b}dd{margin:0;font-size:1.25em;font-weight:600}
        .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:16px}
        figure{margin:0}svg.chart{width:100%;height:auto;border:1px solid #e4e4e7;border-radius:6px}
        svg.matrix{max-width:100%;height:auto}
        .side{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}
        table{border-collapse:collapse}caption{text-align:left;font-weight:600;padding-bottom:4px}
        th,td{padding:3px 10px;border-bottom:1px solid #e4e4e7;text-align:left}td.number{text-align:right;font-variant-numeric:tabular-nums}
        .badge{background:#dbeafe;color:#1e40af;border-radius:4px;padding:0 6px;font-size:.8em}
        .chart-title{font-size:14px;font-weight:600;fill:#18181b}.tick{font-size:11px;fill:#52525b}.label{font-size:12px;fill:#3f3f46}
        .legend{font-size:11px;fill:#3f3f46}.chart-empty{font-size:13px;fill:#a1a1aa}.cell{font-size:11px}
        .grid{stroke:#f4f4f5;stroke-width:1}.axis{stroke:#a1a1aa;stroke-width:1}
        figcaption{font-size:.85em;color:#52525b}svg.scatter{max-width:460px}
        @page{size:A4;margin:14mm}
        @media print{body{max-width:none;padding:0;font-size:10pt}.charts{grid-template-columns:1fr 1fr}
        section,figure,table{break-inside:avoid}h2{break-after:avoid}pre{white-space:pre-wrap;background:none;border:1px solid #e4e4e7}
        svg.chart{border-color:#d4d4d8}}
        """
}
