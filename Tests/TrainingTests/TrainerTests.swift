import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A layer that takes a fixed time, to model a training step of known cost.
final class FixedCost: Layer {
    let seconds: Double
    init(seconds: Double) { self.seconds = seconds }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        sleepSeconds(seconds)
        return (input, { $0 })
    }
}

final class TrainerTests: XCTestCase {
    func testStepOverlapsLoadingWhenDecodingIsFastEnough() throws {
        // Decoding costs 0.625 ms a sample (a sleep) on one thread. Sleeps overshoot on a busy
        // machine, so first measure what a batch of 8 really takes to decode, then give the step
        // 1.25 times that: a decode capacity of 1.25x the step's consumption. Over 200 steps the
        // step should hardly ever wait (the wait for the very first batch is under 1% of the run).
        let source = CountingSource(count: 1600, width: 3, classes: 4, delay: 0.000625)
        var configuration = PipelineConfiguration()
        configuration.batchSize = 8
        configuration.threads = 1
        configuration.prefetchDepth = 4
        configuration.epochs = 1
        configuration.waitTimeout = 60
        let calibration = try BatchPipeline(dataset: source, configuration: configuration)
        var calibrated = 0
        while calibrated < 40, try calibration.next() != nil { calibrated += 1 }
        let decodePerBatch = calibration.statistics.decodeSeconds / Double(calibration.statistics.batchesProduced)
        calibration.cancel()
        let pipeline = try BatchPipeline(dataset: source, configuration: configuration)
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(FixedCost(seconds: decodePerBatch * 1.25), Dense(inputSize: 3, outputSize: 4, generator: &generator))
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.01))
        let summary = try trainer.fit(pipeline)
        XCTAssertEqual(summary.steps, 200)
        XCTAssertEqual(summary.samples, 1600)
        XCTAssertLessThanOrEqual(
            summary.dataWaitFraction, 0.02, pipeline.statistics.summary + String(format: ", step %.2f ms", decodePerBatch * 1250))
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
