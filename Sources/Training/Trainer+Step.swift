import DataPipeline
import Dispatch
import Distributed
import Layers
import SystemIO
import Tensors

extension Trainer {
    /// One optimisation step over a global batch of which `batch` is this rank's slice (the whole
    /// batch in a plain run). Returns the global batch's mean loss, computed before the update,
    /// and its number of correct predictions.
    ///
    /// The global batch is cut into gradient chunks (`chunkSize`, by default
    /// `DataParallel.defaultChunkSize`), the chunks are dealt to ranks, and each rank's chunks form
    /// a few whole nodes of the fixed `ChunkTree` (its claims; one for a plain run, and for rank
    /// counts that divide the chunk count in powers of two). Each claim runs forward and backward
    /// as one unit, layer by layer (`StepRunner`; containers such as `Sequential` opened): a layer that keeps to the chunks
    /// (`ForwardContext.chunkRows`) runs over the whole unit, so its gradient is the node's tree
    /// sum and dropout draws from (seed, step, chunk); any other layer runs chunk by chunk on its
    /// own (`ChunkwiseLayer`); batch normalisation uses the global batch's statistics
    /// (`SynchronizedBatchNorm`). Every loss gradient is its chunk's mean loss gradient weighted by
    /// chunk/global size. The exchange then combines every rank's claims up the same tree, so the
    /// weights are the same bits for a plain run and for any number of ranks. Before the
    /// optimizer's update, `.beforeUpdate` is announced with the gradients in the parameters.
    ///
    /// Each layer is checked against its input's sample shape before it runs, and the output
    /// against the labels before the loss: a model that does not fit the data throws a
    /// `LayerShapeError` or `DataError` naming the layer and the shapes, before any update.
    public func step(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let communicator = exchange.communicator
        let plan = ChunkPlan(
            sampleCount: batch.globalCount, chunkSize: chunkSize ?? DataParallel.defaultChunkSize(batchSize: batch.globalCount),
            rankCount: communicator.rankCount)
        let kept = try keptSampleCount(batch, plan: plan)
        lastStepSamples = kept
        guard kept > 0 else { return (0, 0) }  // every rank knows the global count: all skip the step
        // A regression batch's rows end with the targets: the model sees the columns before them.
        let (inputs, targets) = regression.map { $0.split(batch.features) } ?? (batch.features, Tensor(shape: [0]))
        let step = StepLayout(plan: plan, rank: communicator.rank, batch: batch)
        let split = step.split
        let layout = try parameterLayout()
        // A plain run's one claim needs no exchange: the backward pass leaves its gradient in the parameters.
        let direct = step.claims.count == 1 && communicator.rankCount == 1
        let runner = StepRunner(
            layout: layout, step: step, context: context, generators: StepGenerators(seed: seed, step: stepCount, split: split),
            communicator: communicator, exchange: exchange, direct: direct, sampleShape: Array(inputs.shape.dropFirst()))
        defer {
            context.chunkRows = nil
            context.chunkGenerators = []
        }
        // A unit whose samples were all left out (skipped bad samples) runs no layer: its gradient is 0.
        var (outputs, backward) = try runner.run(model, units: split.rows.map { $0.isEmpty ? nil : inputs.rows($0) })
        if let output = outputs.first(where: { $0 != nil }) ?? nil {
            if let regression {
                try ModelOutputCheck.check(output, targets: regression.count, model: model)
            } else {
                try ModelOutputCheck.check(output, labels: batch.labels, indices: batch.indices, model: model, loss: loss)
            }
        }
        let (figures, lossGradients) =
            regression.map { regressionLosses(outputs, targets: targets, regression: $0, split: split, kept: kept) }
            ?? chunkLosses(outputs, batch: batch, split: split, kept: kept)
        outputs = []
        _ = try backward(lossGradients)
        backward = { $0 }  // releases the forward pass's pullbacks before the update
        if direct {
            runner.zeroGradientsOfIdleLeaves()
        } else {
            GradientVector.unflatten(try exchange.finish(parameterCount: layout.parameterCount), into: layout.parameters)
        }
        // The hook: callbacks see (and may change) the step's gradients before the update.
        try announce(
            .beforeUpdate(
                UpdateEvent(
                    step: stepCount + 1, epoch: batch.epoch, batchInEpoch: batch.indexInEpoch, samples: kept,
                    learningRate: optimizer.learningRate)))
        optimizer.step(model)
        return try globalFigures(figures, plan: plan, samples: kept)
    }

    /// The samples of the global batch that were not left out: the batch's own count in a plain
    /// run or when nothing can be left out, else the sum over ranks. Under the skip policy every
    /// rank also learns which samples the others left out, and all throw `tooManyBadSamples` at the
    /// same step once the run's distinct bad samples exceed the budget, as a plain run's pipeline
    /// does (a sample met by one rank in one epoch and by another in the next counts once).
    private func keptSampleCount(_ batch: Batch, plan: ChunkPlan) throws -> Int {
        let communicator = exchange.communicator
        guard communicator.rankCount > 1 else { return batch.count }
        guard leavesOutSamples else { return plan.sampleCount }
        let began = DispatchTime.now().uptimeNanoseconds
        defer { coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        let sizes = try communicator.allGather(
            [Double(batch.count), Double(batch.leftOutIndices.count)], counts: [Int](repeating: 2, count: communicator.rankCount))
        let leftOutCounts = (0..<communicator.rankCount).map { Int(sizes[2 * $0 + 1]) }
        if leftOutCounts.contains(where: { $0 > 0 }) {
            // Dataset indices (below 2^53) travel exactly as doubles.
            let indices = try communicator.allGather(batch.leftOutIndices.map(Double.init), counts: leftOutCounts)
            leftOutEverywhere.formUnion(indices.map { Int($0) })
            if let budget = badSampleBudget,
                let overBudget = Quarantine.budgetError(
                    bad: leftOutEverywhere.count, of: budget.total, fraction: budget.fraction, counted: .allRanks(data: "the training data"))
            {
                throw overBudget
            }
        }
        return (0..<communicator.rankCount).reduce(0) { $0 + Int(sizes[2 * $1]) }
    }

    /// Each chunk's (loss sum, correct) and each unit's loss gradient: every chunk's mean loss
    /// gradient weighted by the chunk's share of the `kept` samples of the global batch (as a
    /// chunk computed on its own would have it); an empty chunk adds nothing.
    private func chunkLosses(_ outputs: [Tensor?], batch: Batch, split: UnitSplit, kept: Int) -> (figures: [Double], gradients: [Tensor?]) {
        let globalCount = Float(max(kept, 1))
        var figures: [Double] = []
        var gradients: [Tensor?] = []
        for (unit, output) in outputs.enumerated() {
            guard let output else {
                figures += [Double](repeating: 0, count: 2 * split.chunks[unit].count)
                gradients.append(nil)
                continue
            }
            var parts: [Tensor] = []
            for within in split.chunkRows[unit] {
                guard !within.isEmpty else {
                    figures += [0, 0]
                    continue
                }
                let start = split.rows[unit].lowerBound
                let labels = Array(batch.labels[(start + within.lowerBound)..<(start + within.upperBound)])
                let chunkOutput = output.rows(within)
                let (value, lossGradient) = loss.evaluate(chunkOutput, target: labels)
                parts.append(lossGradient * (Float(labels.count) / globalCount))
                figures += [Double(value) * Double(labels.count), Double(loss.correctCount(chunkOutput, labels: labels))]
            }
            gradients.append(Tensor.concatenatingRows(parts))
        }
        return (figures, gradients)
    }
}
