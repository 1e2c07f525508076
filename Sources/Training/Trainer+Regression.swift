import Distributed
import Tensors

extension Trainer {
    /// Each chunk's figures (loss sum, 0 correct, then its `RegressionSums` in the targets' own
    /// units, or a multi-label run's `MultiLabelSums`) and each unit's loss gradient, as
    /// `chunkLosses` does for labels: every chunk's mean loss gradient weighted by its share of
    /// the `kept` samples.
    func regressionLosses(
        _ outputs: [Tensor?], targets: Tensor, regression: RegressionTargets, split: UnitSplit, kept: Int
    ) -> (figures: [Double], gradients: [Tensor?]) {
        let function = (loss as? LabelLoss)?.function as? any RegressionLossFunction ?? MeanSquaredErrorLoss()
        let globalCount = Float(max(kept, 1))
        var figures: [Double] = []
        var gradients: [Tensor?] = []
        for (unit, output) in outputs.enumerated() {
            guard let output else {
                figures += [Double](repeating: 0, count: (2 + regression.sumsWidth) * split.chunks[unit].count)
                gradients.append(nil)
                continue
            }
            var parts: [Tensor] = []
            for within in split.chunkRows[unit] {
                guard !within.isEmpty else {
                    figures += [Double](repeating: 0, count: 2 + regression.sumsWidth)
                    continue
                }
                let start = split.rows[unit].lowerBound
                let chunkTargets = targets.rows((start + within.lowerBound)..<(start + within.upperBound))
                let chunkOutput = output.rows(within)
                let (value, lossGradient) = function.evaluate(chunkOutput, targets: regression.normalized(chunkTargets))
                parts.append(lossGradient * (Float(within.count) / globalCount))
                let sums = regression.sumFigures(predictions: regression.predictions(chunkOutput), targets: chunkTargets)
                figures += [Double(value) * Double(within.count), 0] + sums
            }
            gradients.append(Tensor.concatenatingRows(parts))
        }
        return (figures, gradients)
    }
}
