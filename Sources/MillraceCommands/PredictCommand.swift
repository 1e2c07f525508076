import ArgumentParser
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import Tensors
import Training

/// `millrace predict <checkpoint-or-dir> <files...>`: the top classes of PNG files or CSV rows.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the classes of PNG files or of the rows of CSV files.",
        discussion: "Example: millrace predict runs/digits-mlp/checkpoints datasets/digits/3/0003.png --top 3"
    )

    @Argument(help: "A checkpoint directory or a run's checkpoints directory.")
    var checkpoint: String

    @Argument(help: "PNG files, or CSV files with the training file's columns.")
    var files: [String]

    @Option(help: "How many classes to show per input.", transform: IntegerOption.atLeast(1))
    var top: Int = 1

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file") }
    }

    func run() throws {
        let trained = try TrainedModel.load(checkpoint)
        var results: [[String: Any]] = []
        for file in files {
            let (features, origins) = try trained.predictionInputs(file)
            let probabilities = try trained.probabilities(features)
            let width = probabilities.shape.last ?? 1
            let all = probabilities.scalars
            for (row, origin) in origins.enumerated() {
                let values = Array(all[(row * width)..<((row + 1) * width)])
                let ranked: [(String, Float)] =
                    width == 1
                    ? [
                        (
                            values[0] >= 0.5 ? trained.classNames.last ?? "1" : trained.classNames.first ?? "0",
                            values[0] >= 0.5 ? values[0] : 1 - values[0]
                        )
                    ]
                    : values.enumerated().sorted { $0.element > $1.element }.prefix(top).map { (trained.classNames[$0.offset], $0.element) }
                results.append(["input": origin, "predictions": ranked.map { ["class": $0.0, "probability": Double($0.1)] }])
                if !json {
                    try ResultOutput.print(
                        "\(origin): " + ranked.map { String(format: "%@ %.1f%%", $0.0 as NSString, $0.1 * 100) }.joined(separator: ", "))
                }
            }
        }
        if json {
            try JSONOutput.print(["results": results])
        }
    }
}
