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
        // A regression chunk's figures also hold its `RegressionSums` (5 more).
        let stride = regression == nil ? 2 : 7
        let all = try exchange.communicator.allGather(figures, counts: (0..<plan.rankCount).map { plan.chunks(ofRank: $0).count * stride })
        coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var lossSum = 0.0
        var correct = 0.0
        var sums = RegressionSums()
        for chunk in 0..<plan.chunkCount {
            lossSum += all[stride * chunk]
            correct += all[stride * chunk + 1]
            if stride == 7 { sums = sums + RegressionSums(figures: all, start: stride * chunk + 2) }
        }
        lastStepRegression = stride == 7 ? sums : nil
        return (Float(lossSum / Double(max(samples, 1))), Int(correct))
    }
}
