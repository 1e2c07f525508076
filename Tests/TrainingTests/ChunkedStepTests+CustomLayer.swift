import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A model whose two custom layers know nothing of gradient chunks (`NaiveDense`, and
/// `NoisyScale`, which draws from `context.generator`) between dense layers, trained for four
/// steps (global batches of 24, 24, 10 and 24 in chunks of 4) on 1, 2 and 4 in-process ranks.
extension ChunkedStepTests {
    /// The same weights and losses, bit for bit, on any number of ranks and across a resume.
    func testCustomLayersGiveTheSameBitsOnAnyNumberOfRanks() throws {
        let plain = try CustomLayerRun.train(ranks: 1)
        XCTAssertNotEqual(plain.parameters, CustomLayerRun.makeModel().model.namedParameters.map(\.parameter.value.scalars))
        for ranks in [2, 4] {
            let parallel = try CustomLayerRun.train(ranks: ranks)
            XCTAssertEqual(parallel.losses, plain.losses, "\(ranks) ranks")
            XCTAssertEqual(parallel.parameters, plain.parameters, "\(ranks) ranks")
        }
        for ranks in [1, 4] {
            let resumed = try CustomLayerRun.train(ranks: ranks, resumingBefore: 2)
            XCTAssertEqual(resumed.losses, plain.losses, "\(ranks) ranks, resumed")
            XCTAssertEqual(resumed.parameters, plain.parameters, "\(ranks) ranks, resumed")
        }
    }

    /// Samples left out as bad (all of chunk 0 and sample 9 of every batch): on 4 ranks rank 0's
    /// one chunk is empty (a unit without samples), and the bits are still those of a plain run.
    func testCustomLayersGiveTheSameBitsWithSamplesLeftOut() throws {
        let leftOut: Set<Int> = [0, 1, 2, 3, 9]
        let plain = try CustomLayerRun.train(ranks: 1, leavingOut: leftOut)
        XCTAssertNotEqual(plain.parameters, try CustomLayerRun.train(ranks: 1).parameters)
        for ranks in [2, 4] {
            let parallel = try CustomLayerRun.train(ranks: ranks, leavingOut: leftOut)
            XCTAssertEqual(parallel.losses, plain.losses, "\(ranks) ranks")
            XCTAssertEqual(parallel.parameters, plain.parameters, "\(ranks) ranks")
        }
    }

    /// Only the custom layers run chunk by chunk: the dense layers run once per unit (a plain run's
    /// one per step; on 2 ranks rank 0 holds chunks 0-2 of 6, the tree's nodes {0, 1} and {2}, and
    /// chunk 0 of 3), the custom layers once per chunk (6, 6, 3 and 6 chunks; rank 0: 3, 3, 1, 3).
    func testOnlyTheCustomLayersRunChunkByChunk() throws {
        XCTAssertEqual(try CustomLayerRun.train(ranks: 1).forwardCounts, [4, 21, 21, 4])
        XCTAssertEqual(try CustomLayerRun.train(ranks: 2).forwardCounts, [7, 10, 10, 7])
    }

    /// The bits the step gave before the framework ran such layers chunk by chunk on their own:
    /// produced by the whole-model chunk-by-chunk fallback at commit dd1db9c (this test's run with the
    /// losses' bit patterns and the FNV-1a hash of the final parameters' bit patterns printed there).
    func testCustomLayersKeepThePreviousBits() throws {
        let plain = try CustomLayerRun.train(ranks: 1)
        XCTAssertEqual(plain.losses.map(\.bitPattern), [0x3f87_b249, 0x3f8f_f06d, 0x3f94_9df9, 0x3f94_ac49])
        XCTAssertEqual(plain.hash, 0x3723_9769_b7cd_a77f)
    }
}

/// The run of the custom-layer tests.
private enum CustomLayerRun {
    static let batchSizes = [24, 24, 10, 24]

    /// What a run ends with (rank 0's; every rank's weights are checked to agree).
    struct Outcome: Sendable {
        var losses: [Float]
        var parameters: [[Float]]
        /// Forward passes of each counted layer: dense, naive dense, noisy scale, dense.
        var forwardCounts: [Int]
        /// FNV-1a (64-bit) of the parameters' bit patterns, little-endian, in order.
        var hash: UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for value in parameters.joined() {
                for shift in stride(from: 0, to: 32, by: 8) {
                    hash = (hash ^ UInt64((value.bitPattern >> UInt32(shift)) & 0xFF)) &* 0x100_0000_01b3
                }
            }
            return hash
        }
    }

    /// Dense(6→8), ReLU, NaiveDense(8→8), NoisyScale(8), Dense(8→3), each layer with parameters counted.
    static func makeModel() -> (model: Sequential, counters: [ForwardCounter]) {
        var generator = RandomGenerator(seed: 31)
        let counters = [
            ForwardCounter(Dense(inputSize: 6, outputSize: 8, generator: &generator)), ForwardCounter(NaiveDense(inputs: 8, outputs: 8, seed: 32)),
            ForwardCounter(NoisyScale(features: 8)), ForwardCounter(Dense(inputSize: 8, outputSize: 3, generator: &generator)),
        ]
        return (Sequential(counters[0], ReLU(), counters[1], counters[2], counters[3]), counters)
    }

    /// Rank `rank`'s slice of step `step`'s global batch, dealt in chunks of 4, without the
    /// positions `leftOut` (left out as bad samples).
    static func batch(step: Int, rank: Int, rankCount: Int, leavingOut leftOut: Set<Int>) -> Batch {
        let count = batchSizes[step]
        let features = Tensor.random([count, 6], seed: UInt64(60 + step), lower: -2, upper: 2)
        let plan = ChunkPlan(sampleCount: count, chunkSize: 4, rankCount: rankCount)
        let samples = plan.samples(ofChunks: plan.chunks(ofRank: rank))
        let kept = samples.filter { !leftOut.contains($0) }
        var batch = Batch(features: features.gathering(rows: kept), labels: kept.map { ($0 * 5 + step) % 3 })
        batch.globalCount = count
        batch.sliceStart = samples.lowerBound
        if !leftOut.isEmpty {
            batch.keptPositions = kept
            batch.leftOutIndices = samples.filter(leftOut.contains).map { 100 * step + $0 }
        }
        return batch
    }

    /// Trains the model with Adam on `ranks` in-process ranks; with `resumingBefore`, the run
    /// stops before that step and resumes from its weights, optimizer state and step count.
    static func train(ranks: Int, resumingBefore resumption: Int? = nil, leavingOut leftOut: Set<Int> = []) throws -> Outcome {
        let outcomes = try InProcessRanks.run(ranks) { communicator in
            var (model, counters) = makeModel()
            var optimizer = Adam(learningRate: 0.01)
            var losses: [Float] = []
            for step in batchSizes.indices {
                if step == resumption {
                    let resumed = makeModel()
                    for (new, old) in zip(resumed.model.namedParameters, model.namedParameters) { new.parameter.value = old.parameter.value }
                    let restored = Adam(learningRate: 0.01)
                    restored.state = optimizer.state
                    (model, counters, optimizer) = (resumed.model, resumed.counters, restored)
                }
                let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: optimizer, seed: 9, stepCount: step)
                trainer.chunkSize = 4
                trainer.leavesOutSamples = !leftOut.isEmpty
                if ranks > 1 { trainer.exchange = OrderedGradientExchange(communicator: communicator) }
                losses.append(try trainer.step(batch(step: step, rank: communicator.rank, rankCount: ranks, leavingOut: leftOut)).loss)
            }
            let parameters = model.namedParameters.map(\.parameter.value.scalars)
            return Outcome(losses: losses, parameters: parameters, forwardCounts: counters.map(\.forwardCount))
        }
        for (rank, outcome) in outcomes.enumerated() {
            XCTAssertEqual(outcome.parameters, outcomes[0].parameters, "rank \(rank) of \(ranks)")
            XCTAssertEqual(outcome.losses, outcomes[0].losses, "rank \(rank) of \(ranks)")
        }
        return outcomes[0]
    }
}
