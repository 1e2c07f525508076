import DataPipeline
import Distributed
import Layers
import SystemIO
import Tensors

/// A regression model's figures on data, in the targets' own units.
public struct RegressionFigures: Codable, Sendable, Equatable {
    /// The root mean squared error.
    public var rmse: Double
    /// The mean absolute error.
    public var mae: Double
    /// The coefficient of determination (`RegressionSums.coefficientOfDetermination`).
    public var r2: Double

    /// The figures of `sums`.
    public init(_ sums: RegressionSums) {
        rmse = sums.rootMeanSquaredError
        mae = sums.meanAbsoluteError
        r2 = sums.coefficientOfDetermination
    }
}

extension Evaluation {
    /// Runs a regression or multi-label `model` in inference mode over `source` (rows whose last
    /// `regression.count` values are the targets) and reports the mean loss (on the scaled targets,
    /// as training computes it) and a regression's RMSE, MAE and R² in the targets' own units, or
    /// a multi-label model's figures (`MultiLabelSums`; each label named by `names`, the target
    /// columns). With several ranks each evaluates its share of the batches and the figures are
    /// added in batch order. `observe`, if given, sees each batch of this rank in order: its sample
    /// indices, its targets and the predictions (both `[rows, regression.count]`; in the targets'
    /// own units, or a multi-label model's probabilities).
    public static func run(
        model: any Layer, source: DataSource, loss: any RegressionLossFunction, regression: RegressionTargets, names: [String] = [],
        batchSize: Int = 256, threads: Int = 1, communicator: any Communicator = SingleProcess(), badInput: BadInputPolicy = .fail,
        observe: ((_ indices: [Int], _ targets: Tensor, _ predictions: Tensor) -> Void)? = nil
    ) throws -> Evaluation {
        let size = max(1, min(batchSize, max(source.count, 1)))
        let ranks = communicator.rankCount
        let pipeline = try evaluationPipeline(source, size: size, threads: threads, communicator: communicator, badInput: badInput)
        // Per batch: its number, loss sum, sample count and its sums' figures.
        var rows: [Double] = []
        let context = ForwardContext(isTraining: false)
        while let batch = try pipeline.next() {
            guard batch.count > 0 else { continue }
            let (inputs, targets) = regression.split(batch.features)
            let output = try model.checkedOutput(for: inputs, context: context)
            try ModelOutputCheck.check(output, targets: regression.count, model: model)
            let value = loss.evaluate(output, targets: regression.normalized(targets)).value
            let predictions = regression.predictions(output)
            observe?(batch.indices, targets, predictions)
            rows += [Double(batch.indexInEpoch * ranks + batch.sliceStart / size), Double(value) * Double(batch.count), Double(batch.count)]
            rows += regression.sumFigures(predictions: predictions, targets: targets)
            pipeline.recycle(batch)
        }
        let width = 3 + regression.sumsWidth
        if ranks > 1 {
            var counts = [Double](repeating: 0, count: ranks)
            counts[communicator.rank] = Double(rows.count)
            try communicator.sum(&counts)
            rows = try communicator.allGather(rows, counts: counts.map { Int($0) })
        }
        let order = stride(from: 0, to: rows.count, by: width).sorted { rows[$0] < rows[$1] }
        var total = 0.0
        var count = 0.0
        var sums = [Double](repeating: 0, count: width - 3)
        for start in order {
            total += rows[start + 1]
            count += rows[start + 2]
            for index in sums.indices { sums[index] += rows[start + 3 + index] }
        }
        var evaluation = Evaluation(
            accuracy: 0, loss: count > 0 ? total / count : 0, count: Int(count), perClass: [], confusion: [],
            leftOut: pipeline.quarantine.entries.isEmpty ? nil : pipeline.quarantine.entries.map(\.reason))
        switch regression.kind {
        case .regression:
            evaluation.regression = RegressionFigures(RegressionSums(figures: sums))
        case .multiLabel:
            let counts = MultiLabelSums(figures: sums, labels: regression.count)
            evaluation.multiLabel = MultiLabelFigures(counts)
            evaluation.accuracy = counts.accuracy
            evaluation.perClass = counts.perLabel(names: names)
        }
        return evaluation
    }
}
