import ArgumentParser
import Foundation
import Reports
import Training

/// `millrace report <run-dir>`: the run as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write a run directory's report: one self-contained HTML file (curves, confusion matrix or predicted-vs-true scatter, configuration, checkpoints).",
        discussion: """
            Reads metrics.jsonl, configuration.json and the checkpoints, and evaluates the best checkpoint on the \
            run's validation data (a validation_split is rebuilt exactly as training split it). The page has inline \
            SVG and CSS only: it opens offline in any browser and prints. millrace train writes it at the end of \
            every run as <run dir>/report.html.

            Example: millrace report runs/digits-mlp --output /tmp/digits-mlp.html
            """
    )

    @Argument(help: "A run directory (runs/<name>: metrics.jsonl, configuration.json, checkpoints/).")
    var runDirectory: String

    @Option(help: "Where to write the page (default: <run dir>/report.html).")
    var output: String?

    @Option(help: "The checkpoint directory, if not the configuration's (default: <run dir>/checkpoints).")
    var checkpoints: String?

    @Flag(help: "Print one JSON object (the page's path and the evaluation: validation accuracy, or a regression's loss, RMSE, MAE and R²).")
    var json = false

    func run() throws {
        let report = try RunReport.load(runDirectory: runDirectory, checkpointDirectory: checkpoints)
        let path = output ?? "\(runDirectory)/report.html"
        try report.write(to: path)
        if json {
            var object: [String: Any] = [
                "report": path, "best_checkpoint": report.bestCheckpoint.map { $0 as Any } ?? NSNull(), "epochs": report.history.epochs.count,
                "evaluation": report.evaluationNote,
            ]
            if report.isRegression {
                // A regression has no accuracy: its validation figures instead (null without an evaluation).
                let figures = report.evaluation?.regression
                object["validation_loss"] = report.evaluation.map { $0.loss as Any } ?? NSNull()
                object["validation_rmse"] = figures.map { $0.rmse as Any } ?? NSNull()
                object["validation_mae"] = figures.map { $0.mae as Any } ?? NSNull()
                object["validation_r2"] = figures.map { $0.r2 as Any } ?? NSNull()
            } else {
                object["validation_accuracy"] = report.evaluation.map { $0.accuracy as Any } ?? NSNull()
            }
            if report.isMultiLabel {
                // The accuracy above is of labels; the exact-match ratio (of rows) and micro-F1 too.
                let figures = report.evaluation?.multiLabel
                object["validation_loss"] = report.evaluation.map { $0.loss as Any } ?? NSNull()
                object["validation_exact_match"] = figures.map { $0.exactMatch as Any } ?? NSNull()
                object["validation_f1"] = figures.map { $0.f1 as Any } ?? NSNull()
            }
            try JSONOutput.print(object)
        } else {
            Diagnostics.print(report.evaluationNote)
            try ResultOutput.print("report written to \(path)")
        }
    }
}
