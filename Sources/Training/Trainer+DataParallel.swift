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
        let all = try exchange.communicator.allGather(figures, counts: (0..<plan.rankCount).map { plan.chunks(ofRank: $0).count * 2 })
        coordinationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        var lossSum = 0.0
        var correct = 0.0
        for chunk in 0..<plan.chunkCount {
            lossSum += all[2 * chunk]
            correct += all[2 * chunk + 1]
        }
        return (Float(lossSum / Double(max(samples, 1))), Int(correct))
    }
}
