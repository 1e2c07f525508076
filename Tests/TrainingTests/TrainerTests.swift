import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// An identity layer that runs `during` inside every training step's forward pass.
final class StepProbe: Layer {
    let during: () -> Void
    init(during: @escaping () -> Void) { self.during = during }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        during()
        return (input, { $0 })
    }
}

final class TrainerTests: XCTestCase {
    /// Loading overlaps the step: while a step runs (the consumer calls no `next()`), the
    /// producer decodes the following batches until the prefetch buffer is full, and never more
    /// than the buffer plus the one batch waiting to be put. Counts only: each step waits (a hang
    /// guard, not a time limit on the figure) until the producer is as far ahead as it can be, so
    /// a loop that decoded only inside `next()` would fail. How much of the step's time loading
    /// hides is speed, measured by `millrace bench pipeline` (`consumer_wait_fraction`).
    func testStepOverlapsLoading() throws {
        let depth = 4
        let source = CountingSource(count: 1600, width: 3, classes: 4)
        var configuration = PipelineConfiguration()
        configuration.batchSize = 8
        configuration.threads = 1
        configuration.prefetchDepth = depth
        configuration.epochs = 1
        configuration.waitTimeout = 120
        let pipeline = try BatchPipeline(dataset: source, configuration: configuration)
        let total = pipeline.batchesPerEpoch
        XCTAssertEqual(total, 200)
        var filledDuringStep: [Bool] = []
        var largestLead = 0
        let probe = StepProbe { [unowned pipeline] in
            guard !filledDuringStep.contains(false) else { return }  // failed already: no more waiting
            let consumed = pipeline.statistics.batchesConsumed
            // Full: `depth` batches in the buffer and one waiting to be put (or the epoch's end).
            let target = min(consumed + depth + 1, total)
            filledDuringStep.append(waitUntil { pipeline.statistics.batchesProduced >= target })
            let produced = pipeline.statistics.batchesProduced
            largestLead = max(largestLead, produced - consumed)
            // Everything decoded belongs to a produced batch or the one being decoded.
            XCTAssertLessThanOrEqual(source.loadedIndices.count, (produced + 1) * 8)
        }
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(probe, Dense(inputSize: 3, outputSize: 4, generator: &generator))
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.01))
        let summary = try trainer.fit(pipeline)
        XCTAssertEqual(summary.steps, 200)
        XCTAssertEqual(summary.samples, 1600)
        XCTAssertEqual(filledDuringStep.count, 200)
        XCTAssertEqual(filledDuringStep.filter { !$0 }.count, 0, "steps during which the producer did not fill the buffer")
        XCTAssertEqual(largestLead, depth + 1, "the producer ran ahead by more than the buffer and the batch it puts")
        XCTAssertLessThanOrEqual(pipeline.statistics.largestDepth, depth)
        XCTAssertEqual(pipeline.statistics.batchesProduced, 200)
        XCTAssertEqual(source.loadedIndices.count, 1600)
    }

    func testTrainsAClassifierFromAPipelineAndResumesExactly() throws {
        // Separable data: row r is [+1 or -1 by r's parity, 0.5], labelled r % 2.
        let count = 256
        let features = Tensor(shape: [count, 2], generating: { flat in flat % 2 == 1 ? 0.5 : ((flat / 2) % 2 == 0 ? 1 : -1) })
        let data = TensorDataset(features: features, labels: (0..<count).map { $0 % 2 }, classNames: ["a", "b"])
        func run(splitAfter: Int?) throws -> [Float] {
            var configuration = PipelineConfiguration()
            configuration.batchSize = 16
            configuration.epochs = 3
            configuration.seed = 5
            configuration.waitTimeout = 30
            var generator = RandomGenerator(seed: 2)
            let model = Dense(inputSize: 2, outputSize: 2, generator: &generator)
            let optimizer = SGD(learningRate: 0.1, momentum: 0.9)
            var pipeline = try BatchPipeline(dataset: data, configuration: configuration)
            var trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: optimizer)
            if let splitAfter {
                var steps = 0
                let first = try trainer.fit(
                    pipeline,
                    shouldStop: {
                        steps += 1
                        return steps == splitAfter
                    })
                // "Restart": a new pipeline from the saved state, a new trainer around the same
                // parameters and optimizer state.
                pipeline = try BatchPipeline(dataset: data, configuration: configuration, resumingFrom: first.pipelineState)
                trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: optimizer, stepCount: first.steps)
            }
            _ = try trainer.fit(pipeline)
            return model.weight.value.scalars + model.bias!.value.scalars
        }
        let straight = try run(splitAfter: nil)
        XCTAssertEqual(try run(splitAfter: 7).map(\.bitPattern), straight.map(\.bitPattern))
        XCTAssertEqual(try run(splitAfter: 16).map(\.bitPattern), straight.map(\.bitPattern))  // at an epoch boundary
    }
}
