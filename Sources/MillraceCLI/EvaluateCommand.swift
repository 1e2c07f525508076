import ArgumentParser
import Foundation
import Training

/// `millrace evaluate <checkpoint-or-dir> --data <path>`: loss, accuracy, per-class figures.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model on a PNG class folder or a CSV file.",
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
        let evaluation = try Evaluation.run(
            model: trained.model, source: try trained.evaluationData(data),
            loss: try trained.configuration.makeLoss(path: trained.checkpoint.path), classNames: trained.classNames, threads: 2)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
            return
        }
        print(
            String(
                format: "%d samples: accuracy %.2f%%, loss %.4f (checkpoint %@)", evaluation.count, evaluation.accuracy * 100, evaluation.loss,
                trained.checkpoint.path))
        print("class        support  precision  recall")
        for figures in evaluation.perClass {
            print(String(format: "%-12@ %7d  %9.3f  %6.3f", figures.name as NSString, figures.support, figures.precision, figures.recall))
        }
        print("confusion (rows: true class, columns: predicted):")
        for row in evaluation.confusion { print(row.map { String(format: "%5d", $0) }.joined()) }
    }
}
