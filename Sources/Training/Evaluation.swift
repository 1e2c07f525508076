import DataPipeline
import Distributed
import Layers
import SystemIO
import Tensors

/// Loss, accuracy, per-class precision and recall and the confusion matrix of a model on data
/// (a regression's or a multi-label model's figures in `regression` or `multiLabel`).
public struct Evaluation: Codable, Sendable, Equatable {
    /// Per-class figures.
    public struct ClassFigures: Codable, Sendable, Equatable {
        /// The class name.
        public var name: String
        /// Samples of this class.
        public var support: Int
        /// Correct predictions of this class over all predictions of it.
        public var precision: Double
        /// Correct predictions of this class over all samples of it.
        public var recall: Double
        /// A multi-label model's F1 of this label, `2 TP / (2 TP + FP + FN)` (nil for a classifier).
        public var f1: Double? = nil
    }

    /// The fraction classified correctly.
    public var accuracy: Double
    /// The mean loss per sample.
    public var loss: Double
    /// The number of samples.
    public var count: Int
    /// Per-class figures.
    public var perClass: [ClassFigures]
    /// `confusion[true][predicted]`.
    public var confusion: [[Int]]
    /// Why each sample left out under the `.skip` policy could not be read (this process's; nil
    /// when none was).
    public var leftOut: [String]?
    /// A regression's figures in the targets' own units (nil for class labels; accuracy, the
    /// per-class figures and the confusion matrix are then empty).
    public var regression: RegressionFigures? = nil
    /// A multi-label model's figures (nil otherwise); `accuracy` is then the share of (row, label)
    /// cells predicted right, `perClass` holds each label's figures and `confusion` is empty.
    public var multiLabel: MultiLabelFigures? = nil

    /// Runs `model` in inference mode over `source` in batches (in order, no augmentation). A
    /// label outside the class names is an error (the data has a class the model never saw), and
    /// so is a layer that cannot take its input's shape or a last layer with too few outputs (a
    /// `LayerShapeError` or `DataError` naming the layer and the shapes, before the loss runs).
    /// With several ranks each evaluates its share of the batches and the figures are reduced
    /// (batch loss sums added in batch order, so every rank count reports the same bits). Under
    /// `badInput` `.skip`, samples that cannot be read are left out (and counted against its budget).
    public static func run(
        model: any Layer, source: DataSource, loss: any ClassificationLoss, classNames: [String],
        batchSize: Int = 256, threads: Int = 1, communicator: any Communicator = SingleProcess(), badInput: BadInputPolicy = .fail
    ) throws -> Evaluation {
        let size = max(1, min(batchSize, max(source.count, 1)))
        let ranks = communicator.rankCount
        let pipeline = try evaluationPipeline(source, size: size, threads: threads, communicator: communicator, badInput: badInput)
        let classes = max(classNames.count, 1)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var total = 0.0
        var count = 0
        var batchLosses: [Double] = []  // (batch number, loss sum) of this rank's batches
        let context = ForwardContext(isTraining: false)
        while let batch = try pipeline.next() {
            guard batch.count > 0 else { continue }
            let output = try model.checkedOutput(for: batch.features, context: context)
            for (slot, truth) in batch.labels.enumerated() where truth < 0 || truth >= classes {
                throw DataError(
                    .unknownLabel, path: "sample \(batch.indices[slot])",
                    reason: "label \(truth) is not one of the model's \(classes) classes (\(classNames.prefix(10).joined(separator: ", ")))",
                    fix: "evaluate on data with the training classes only")
            }
            try ModelOutputCheck.check(output, labels: batch.labels, indices: batch.indices, model: model, loss: loss)
            let batchLoss = Double(loss.evaluate(output, target: batch.labels).value) * Double(batch.count)
            total += batchLoss
            batchLosses += [Double(batch.indexInEpoch * ranks + batch.sliceStart / size), batchLoss]
            for (truth, predicted) in zip(batch.labels, loss.predictions(output)) where predicted >= 0 && predicted < classes {
                confusion[truth][predicted] += 1
            }
            count += batch.count
            pipeline.recycle(batch)
        }
        if ranks > 1 {
            (total, count, confusion) = try reduce(batchLosses, count: count, confusion: confusion, communicator: communicator)
            // Each rank judged the skip budget on its own samples; judge it on all of them (every
            // sample is read by one rank), so a run fails where a plain run would.
            if case .skip(let fraction) = badInput {
                var bad = [Double(pipeline.quarantine.entries.count)]
                try communicator.sum(&bad)
                if let overBudget = Quarantine.budgetError(
                    bad: Int(bad[0]), of: source.count, fraction: fraction, counted: .allRanks(data: "the validation data"))
                {
                    throw overBudget
                }
            }
        }
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let figures = (0..<classes).map { c -> ClassFigures in
            let predicted = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
            let actual = confusion[c].reduce(0, +)
            return ClassFigures(
                name: c < classNames.count ? classNames[c] : "\(c)", support: actual,
                precision: predicted > 0 ? Double(confusion[c][c]) / Double(predicted) : 0,
                recall: actual > 0 ? Double(confusion[c][c]) / Double(actual) : 0)
        }
        return Evaluation(
            accuracy: count > 0 ? Double(correct) / Double(count) : 0, loss: count > 0 ? total / Double(count) : 0,
            count: count, perClass: figures, confusion: confusion,
            leftOut: pipeline.quarantine.entries.isEmpty ? nil : pipeline.quarantine.entries.map(\.reason))
    }
}

extension Evaluation {
    /// The pipeline of an evaluation: batches of `size` per rank, in order, one epoch.
    static func evaluationPipeline(
        _ source: DataSource, size: Int, threads: Int, communicator: any Communicator, badInput: BadInputPolicy
    ) throws -> BatchPipeline {
        var configuration = PipelineConfiguration()
        let ranks = communicator.rankCount
        configuration.batchSize = size * ranks
        if ranks > 1 { configuration.slicing = BatchSlicing(chunkSize: size, rank: communicator.rank, rankCount: ranks) }
        configuration.shuffle = false
        configuration.epochs = 1
        configuration.threads = threads
        configuration.waitTimeout = 600
        configuration.badInput = badInput
        return try BatchPipeline(source: source, configuration: configuration)
    }

    /// Every rank's figures combined: the batch loss sums added in batch order, counts summed.
    static func reduce(_ batchLosses: [Double], count: Int, confusion: [[Int]], communicator: any Communicator) throws -> (Double, Int, [[Int]]) {
        var counts = [Double](repeating: 0, count: communicator.rankCount)
        counts[communicator.rank] = Double(batchLosses.count)
        try communicator.sum(&counts)
        let all = try communicator.allGather(batchLosses, counts: counts.map { Int($0) })
        let ordered = stride(from: 0, to: all.count, by: 2).map { (all[$0], all[$0 + 1]) }.sorted { $0.0 < $1.0 }
        let total = ordered.reduce(0.0) { $0 + $1.1 }
        var figures = [Double(count)] + confusion.joined().map(Double.init)
        try communicator.sum(&figures)  // integers below 2^53: exact in any order
        let classes = confusion.count
        let summed = (0..<classes).map { row in (0..<classes).map { Int(figures[1 + row * classes + $0]) } }
        return (total, Int(figures[0]), summed)
    }
}
