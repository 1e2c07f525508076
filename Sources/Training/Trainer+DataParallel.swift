import DataPipeline
import Dispatch

extension Trainer {
    /// One step of the loop (`step(_:)`), timed.
    func takeStep(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let began = DispatchTime.now().uptimeNanoseconds
        defer { stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        return try step(batch)
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

    /// The global batch's mean loss and number of correct predictions from `figures`, this
    /// rank's (loss sum, correct) per chunk in order: gathered, and added in chunk order.
    func globalFigures(_ figures: [Double], plan: ChunkPlan, samples: Int) throws -> (loss: Float, correct: Int) {
        let began = DispatchTime.now().uptimeNanoseconds
        // A regression or multi-label chunk's figures also hold its sums (`RegressionTargets.sumsWidth` more).
        let stride = 2 + (regression?.sumsWidth ?? 0)
        let all = try exchange.communicator.allGather(figures, counts: (0..<plan.rankCount).map { plan.chunks(ofRank: $0).count * stride })
        coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var lossSum = 0.0
        var correct = 0.0
        var sums = [Double](repeating: 0, count: stride - 2)
        for chunk in 0..<plan.chunkCount {
            lossSum += all[stride * chunk]
            correct += all[stride * chunk + 1]
            for index in sums.indices { sums[index] += all[stride * chunk + 2 + index] }
        }
        lastStepRegression = regression?.kind == .regression ? RegressionSums(figures: sums) : nil
        lastStepMultiLabel = regression.flatMap { $0.kind == .multiLabel ? MultiLabelSums(figures: sums, labels: $0.count) : nil }
        return (Float(lossSum / Double(max(samples, 1))), Int(correct))
    }
}
