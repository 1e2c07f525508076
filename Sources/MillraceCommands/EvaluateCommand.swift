import ArgumentParser
import Foundation
import Training

/// `millrace evaluate <checkpoint-or-dir> --data <path>`: loss, accuracy, per-class figures.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model on an image (PNG/JPEG) class folder or a CSV file.",
        discussion: "Example: millrace evaluate runs/digits-mlp/checkpoints --data datasets/digits --json"
    )

    @Argument(help: "A checkpoint directory (step-…) or a run's checkpoints directory (its newest good checkpoint).")
    var checkpoint: String

    @Option(help: "The data to evaluate on.")
    var data: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let trained = try TrainedModel.load(checkpoint)
        let evaluation =
            if let regression = trained.regression {
                try Evaluation.run(
                    model: trained.model, source: try trained.evaluationData(data), loss: try trained.regressionLoss(), regression: regression,
                    names: trained.classNames, threads: 2)
            } else {
                try Evaluation.run(
                    model: trained.model, source: try trained.evaluationData(data),
                    loss: try trained.configuration.makeLoss(path: trained.checkpoint.path), classNames: trained.classNames, threads: 2)
            }
        if json, let figures = evaluation.regression {
            // A regression has no accuracy, classes or confusion matrix: its figures in the targets' units.
            var object: [String: Any] = [
                "count": evaluation.count, "loss": evaluation.loss, "rmse": figures.rmse, "mae": figures.mae, "r2": figures.r2,
            ]
            if let leftOut = evaluation.leftOut { object["left_out"] = leftOut }
            try JSONOutput.print(object)
            return
        }
        if let figures = evaluation.multiLabel {
            try printMultiLabel(evaluation, figures: figures, checkpoint: trained.checkpoint.path)
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            try ResultOutput.print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
            return
        }
        if let figures = evaluation.regression {
            try ResultOutput.print(
                String(
                    format: "%d samples: rmse %.6g, mae %.6g, r2 %.4f, loss %.4f (checkpoint %@)", evaluation.count, figures.rmse, figures.mae,
                    figures.r2, evaluation.loss, trained.checkpoint.path))
            return
        }
        try ResultOutput.print(
            String(
                format: "%d samples: accuracy %.2f%%, loss %.4f (checkpoint %@)", evaluation.count, evaluation.accuracy * 100, evaluation.loss,
                trained.checkpoint.path))
        try ResultOutput.print()
        let rows = evaluation.perClass.map { figures in
            [figures.name, "\(figures.support)", String(format: "%.3f", figures.precision), String(format: "%.3f", figures.recall)]
        }
        try ResultOutput.print(TextTable(headers: ["class", "support", "precision", "recall"], rows: rows).rendered())
        try ResultOutput.print("confusion (rows: true class, columns: predicted):")
        let names = evaluation.perClass.map(\.name)
        let matrix = zip(names, evaluation.confusion).map { name, row in [name] + row.map(String.init) }
        try ResultOutput.print(TextTable(headers: ["true"] + names, rows: matrix).rendered(), terminator: "")
    }
}

extension EvaluateCommand {
    /// A multi-label model's figures: the share of labels right, the exact-match ratio, micro-F1
    /// and each label's support, precision, recall and F1 (`--json`: `count`, `loss`, `accuracy`,
    /// `exact_match`, `f1`, `precision`, `recall` and `labels`).
    func printMultiLabel(_ evaluation: Evaluation, figures: MultiLabelFigures, checkpoint: String) throws {
        if json {
            var object: [String: Any] = [
                "count": evaluation.count, "loss": evaluation.loss, "accuracy": figures.accuracy, "exact_match": figures.exactMatch,
                "f1": figures.f1, "precision": figures.precision, "recall": figures.recall,
                "labels": evaluation.perClass.map { label -> [String: Any] in
                    ["name": label.name, "support": label.support, "precision": label.precision, "recall": label.recall, "f1": label.f1 ?? 0]
                },
            ]
            if let leftOut = evaluation.leftOut { object["left_out"] = leftOut }
            try JSONOutput.print(object)
            return
        }
        try ResultOutput.print(
            String(
                format: "%d samples: accuracy %.2f%% (of labels), exact match %.2f%% (of rows), micro-F1 %.4f, loss %.4f (checkpoint %@)",
                evaluation.count, figures.accuracy * 100, figures.exactMatch * 100, figures.f1, evaluation.loss, checkpoint))
        try ResultOutput.print()
        let rows = evaluation.perClass.map { label in
            [label.name, "\(label.support)"] + [label.precision, label.recall, label.f1 ?? 0].map { String(format: "%.3f", $0) }
        }
        try ResultOutput.print(TextTable(headers: ["label", "support", "precision", "recall", "f1"], rows: rows).rendered(), terminator: "")
    }
}
