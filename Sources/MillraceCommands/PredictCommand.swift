import ArgumentParser
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import Tensors
import Training

/// `millrace predict <checkpoint-or-dir> <files...>`: the top classes of image files or CSV rows.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the classes of PNG or JPEG files or of the rows of CSV files.",
        discussion: "Example: millrace predict runs/digits-mlp/checkpoints datasets/digits/3/0003.png --top 3"
    )

    @Argument(help: "A checkpoint directory or a run's checkpoints directory.")
    var checkpoint: String

    @Argument(help: "PNG or JPEG files, or CSV files with the training file's columns (target columns may be left out).")
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
            if trained.regression?.kind == .multiLabel {
                results += try predictLabels(trained, features: features, origins: origins)
                continue
            }
            if trained.regression != nil {
                results += try predictValues(trained, features: features, origins: origins)
                continue
            }
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

    /// A regression model's predicted values (in the targets' units) for each row.
    private func predictValues(_ trained: TrainedModel, features: Tensor, origins: [String]) throws -> [[String: Any]] {
        let values = try trained.predictedValues(features)
        let names = trained.classNames
        let width = max(values.shape.last ?? 1, 1)
        let all = values.scalars
        var results: [[String: Any]] = []
        for (row, origin) in origins.enumerated() {
            let predicted = (0..<width).map { (names.indices.contains($0) ? names[$0] : "\($0)", Double(all[row * width + $0])) }
            results.append(["input": origin, "values": Dictionary(uniqueKeysWithValues: predicted)])
            if !json {
                try ResultOutput.print("\(origin): " + predicted.map { "\($0.0) \(String(format: "%.6g", $0.1))" }.joined(separator: ", "))
            }
        }
        return results
    }

    /// A multi-label model's probability of each label (the target columns) for each row, and the
    /// labels predicted: those above 0.5.
    private func predictLabels(_ trained: TrainedModel, features: Tensor, origins: [String]) throws -> [[String: Any]] {
        let probabilities = try trained.predictedValues(features)
        let names = trained.classNames
        let width = max(probabilities.shape.last ?? 1, 1)
        let all = probabilities.scalars
        var results: [[String: Any]] = []
        for (row, origin) in origins.enumerated() {
            let labels = (0..<width).map { (name: names.indices.contains($0) ? names[$0] : "\($0)", probability: all[row * width + $0]) }
            let predicted = labels.filter { MultiLabelSums.isPredicted($0.probability) }.map(\.name)
            results.append([
                "input": origin, "labels": predicted,
                "probabilities": Dictionary(uniqueKeysWithValues: labels.map { ($0.name, Double($0.probability)) }),
            ])
            if !json {
                let each = labels.map { String(format: "%@ %.1f%%", $0.name as NSString, $0.probability * 100) }.joined(separator: ", ")
                try ResultOutput.print("\(origin): labels \(predicted.isEmpty ? "none" : predicted.joined(separator: ", ")) (\(each))")
            }
        }
        return results
    }
}
