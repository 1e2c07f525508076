import DataPipeline
import SystemIO
import TabularFormats
import Tensors

/// The targets of a run with CSV `target_columns`: numbers (a regression) or 0/1 labels
/// (multi-label classification), as `kind` says. A CSV dataset with `target_columns` parses the
/// targets like features and places them after the features, as the last `count` values of every
/// row; the trainer, validation, `evaluate` and `predict` split them off (`split(_:)`) before the
/// model sees the row. With a `normalization` (a regression's per-target mean and standard
/// deviation of the training split), the model learns `(y - mean) / std` and its outputs are
/// mapped back (`originalUnits(_:)`) for metrics and predictions; a multi-label model's outputs
/// are logits, read as probabilities (`predictions(_:)`).
public struct RegressionTargets: Sendable, Equatable {
    /// The number of target columns (the model's output width).
    public var count: Int
    /// The targets' scaling, or nil to train on the values as they are (always nil for multi-label).
    public var normalization: Normalization?
    /// What the targets are: numbers or 0/1 labels.
    public var kind: TargetKind

    /// Creates the description of `count` targets of `kind`.
    public init(count: Int, normalization: Normalization? = nil, kind: TargetKind = .regression) {
        self.count = count
        self.normalization = normalization
        self.kind = kind
    }

    /// The inputs (every column but the last `count`) and the targets (the last `count`) of rows
    /// `[rows, width]`.
    public func split(_ rows: Tensor) -> (inputs: Tensor, targets: Tensor) {
        let rowCount = rows.shape.first ?? 0
        let width = rows.shape.count > 1 ? rows.shape[1] : 0
        let inputWidth = max(width - count, 0)
        var inputs = Tensor(shape: [rowCount, inputWidth])
        var targets = Tensor(shape: [rowCount, count])
        rows.withUnsafeBufferPointer { source in
            inputs.withUnsafeMutableBufferPointer { input in
                targets.withUnsafeMutableBufferPointer { target in
                    for row in 0..<rowCount {
                        for column in 0..<inputWidth { input[row * inputWidth + column] = source[row * width + column] }
                        for column in 0..<count { target[row * count + column] = source[row * width + inputWidth + column] }
                    }
                }
            }
        }
        return (inputs, targets)
    }

    /// The targets `[rows, count]` as the model learns them (normalised when there is a normalization).
    public func normalized(_ targets: Tensor) -> Tensor {
        guard let normalization else { return targets }
        var result = targets
        result.withUnsafeMutableBufferPointer { normalization.apply(toBatch: $0, sampleShape: [count]) }
        return result
    }

    /// Model outputs `[rows, count]` in the targets' own units: `output * std + mean` per column.
    public func originalUnits(_ outputs: Tensor) -> Tensor {
        guard let normalization else { return outputs }
        let width = max(count, 1)
        return Tensor(
            shape: outputs.shape,
            generating: { index in
                let column = index % width
                let mean = normalization.mean.count == 1 ? normalization.mean[0] : normalization.mean[column]
                let deviation =
                    normalization.standardDeviation.count == 1 ? normalization.standardDeviation[0] : normalization.standardDeviation[column]
                return outputs.withUnsafeBufferPointer { $0[index] } * deviation + mean
            })
    }

    /// The model's outputs `[rows, count]` as a person reads them: a regression's values in the
    /// targets' own units (`originalUnits(_:)`), a multi-label model's probabilities (the
    /// logistic function of each logit).
    public func predictions(_ outputs: Tensor) -> Tensor {
        kind == .multiLabel ? MultiLabelSums.probabilities(outputs) : originalUnits(outputs)
    }

    /// How many figures the running sums of a chunk or batch are: `RegressionSums`' or `MultiLabelSums`'.
    var sumsWidth: Int { kind == .multiLabel ? MultiLabelSums.width(labels: count) : RegressionSums().figures.count }

    /// The running sums' figures of `predictions` (`predictions(_:)` of the outputs) against `targets`.
    func sumFigures(predictions: Tensor, targets: Tensor) -> [Double] {
        kind == .multiLabel
            ? MultiLabelSums(probabilities: predictions, targets: targets).figures
            : RegressionSums(predictions: predictions, targets: targets).figures
    }

    /// The mean and (population) standard deviation of each of the last `count` values of every
    /// row of `source` (the training split), summed in chunk and row order. A constant target gets
    /// a standard deviation of 1 (it is only shifted).
    public static func statistics(of source: DataSource, count: Int) throws -> Normalization {
        var sums = [Double](repeating: 0, count: count)
        var squares = [Double](repeating: 0, count: count)
        var rows = 0
        func add(_ features: Tensor) {
            let width = features.shape.count > 1 ? features.shape[1] : 0
            let rowCount = features.shape.first ?? 0
            features.withUnsafeBufferPointer { values in
                for row in 0..<rowCount {
                    for column in 0..<count {
                        let value = Double(values[row * width + width - count + column])
                        sums[column] += value
                        squares[column] += value * value
                    }
                }
            }
            rows += rowCount
        }
        switch source {
        case .chunked(let dataset):
            for index in 0..<dataset.chunkCount { add(try dataset.loadChunk(at: index).features) }
        case .randomAccess(let dataset):
            for index in 0..<dataset.count { add(try dataset.sample(at: index).features.reshaped(to: [1, dataset.sampleShape.reduce(1, *)])) }
        }
        guard rows > 0 else {
            throw DataError(.emptyDataset, path: "the training data", reason: "it has no rows to scale the targets by", fix: "give rows")
        }
        let means = sums.map { $0 / Double(rows) }
        let deviations = (0..<count).map { column -> Float in
            let variance = max(squares[column] / Double(rows) - means[column] * means[column], 0)
            let deviation = Float(variance.squareRoot())
            return deviation > 0 && deviation.isFinite ? deviation : 1
        }
        return Normalization(mean: means.map { Float($0) }, standardDeviation: deviations)
    }
}
