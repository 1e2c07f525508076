import DataPipeline
import Dispatch
import Layers
import Tensors

extension Trainer {
    /// One step of the loop: the whole-batch `step(_:)` for a plain run without chunks, else
    /// the chunked step whose gradient goes through `exchange`.
    func takeStep(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let began = DispatchTime.now().uptimeNanoseconds
        defer { stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        if chunkSize == nil && exchange.communicator.rankCount == 1 { return step(batch) }
        if DataParallel.containsBatchNorm(model) { return try synchronizedStep(batch) }
        return try chunkedStep(batch)
    }

    /// Whether any rank wants to stop (every rank stops after the same step).
    func agreeToStop(_ wanted: Bool) throws -> Bool {
        let communicator = exchange.communicator
        guard communicator.rankCount > 1 else { return wanted }
        var flag = [wanted ? 1.0 : 0.0]
        let began = DispatchTime.now().uptimeNanoseconds
        try communicator.sum(&flag)
        coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        return flag[0] > 0
    }

    /// One optimisation step over a global batch of which `batch` is this rank's slice: each of
    /// the rank's chunks runs forward and backward on its own (its loss gradient weighted by
    /// chunk/global batch size), the exchange sums every chunk's gradient in the fixed tree order,
    /// and every rank applies the same update. Returns the global batch's mean loss (chunk sums
    /// added in chunk order) and its number of correct predictions.
    public func chunkedStep(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let communicator = exchange.communicator
        let plan = ChunkPlan(sampleCount: batch.globalCount, chunkSize: chunkSize ?? batch.globalCount, rankCount: communicator.rankCount)
        let parameters = model.namedParameters.map(\.parameter)
        let parameterCount = parameters.reduce(0) { $0 + $1.value.count }
        let globalCount = Float(max(plan.sampleCount, 1))
        var figures: [Double] = []
        context.requiresInputGradient = false
        let gradient = try exchange.reduce(plan: plan, parameterCount: parameterCount) { chunk in
            let samples = plan.samples(ofChunk: chunk)
            let rows = (samples.lowerBound - batch.sliceStart)..<(samples.upperBound - batch.sliceStart)
            let labels = Array(batch.labels[rows])
            context.generator = RandomGenerator(seed: seed, stream: [1, UInt64(stepCount), UInt64(chunk)])
            model.zeroGradients()
            let (output, pullback) = model.forward(batch.features.rows(rows), context: context)
            let (value, lossGradient) = loss.evaluate(output, target: labels)
            _ = pullback(lossGradient * (Float(rows.count) / globalCount))
            let correct = loss.correctCount(output, labels: labels)
            figures += [Double(value) * Double(rows.count), Double(correct)]
            return Trainer.flatten(parameters, count: parameterCount)
        }
        Trainer.unflatten(gradient, into: parameters)
        optimizer.step(model)
        return try globalFigures(figures, plan: plan)
    }

    /// The global batch's mean loss and number of correct predictions from `figures`, this
    /// rank's (loss sum, correct) per chunk in order: gathered, and added in chunk order.
    func globalFigures(_ figures: [Double], plan: ChunkPlan) throws -> (loss: Float, correct: Int) {
        let began = DispatchTime.now().uptimeNanoseconds
        let all = try exchange.communicator.allGather(figures, counts: (0..<plan.rankCount).map { plan.chunks(ofRank: $0).count * 2 })
        coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var lossSum = 0.0
        var correct = 0.0
        for chunk in 0..<plan.chunkCount {
            lossSum += all[2 * chunk]
            correct += all[2 * chunk + 1]
        }
        return (Float(lossSum / Double(max(plan.sampleCount, 1))), Int(correct))
    }

    /// The parameters' gradients as one vector, in visiting order.
    static func flatten(_ parameters: [Parameter], count: Int) -> [Float] {
        var vector: [Float] = []
        vector.reserveCapacity(count)
        for parameter in parameters { parameter.gradient.withUnsafeBufferPointer { vector.append(contentsOf: $0) } }
        return vector
    }

    /// Writes `vector` back into the parameters' gradients, in visiting order.
    static func unflatten(_ vector: [Float], into parameters: [Parameter]) {
        var offset = 0
        for parameter in parameters {
            let count = parameter.gradient.count
            parameter.gradient.withUnsafeMutableBufferPointer { out in
                vector.withUnsafeBufferPointer { input in
                    out.baseAddress!.update(from: input.baseAddress! + offset, count: count)
                }
            }
            offset += count
        }
    }
}
