import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A step whose samples were all left out (the skip policy) trains on nothing: it neither ends
/// nor restarts the epoch, and its figures are numbers (0 samples give 0, not 0/0).
final class LeftOutStepTests: XCTestCase {
    /// What the loop announced.
    final class Recorder: TrainingCallback {
        var steps: [StepEvent] = []
        var epochs: [EpochEvent] = []
        /// Whether `epochMetrics` was empty when each epoch's first step ended.
        var clearedAtEpochStart: [Bool] = []
        /// Whether the marker set at each epoch's first step was still there when the epoch ended.
        var markerAtEpochEnd: [Bool] = []

        func handle(_ event: TrainingEvent, trainer: Trainer) throws {
            switch event {
            case .stepEnded(let step):
                steps.append(step)
                if step.batchInEpoch == 0 {
                    clearedAtEpochStart.append(trainer.epochMetrics.isEmpty)
                    trainer.epochMetrics["marker"] = Double(step.epoch)
                }
            case .epochEnded(let epoch):
                epochs.append(epoch)
                markerAtEpochEnd.append(trainer.epochMetrics["marker"] == Double(epoch.epoch))
            default: break
            }
        }
    }

    /// 8 samples in batches of 2, not shuffled; samples 0 and 1 are bad, so each epoch's first
    /// batch is empty (no kept positions, a global count of 2) and its step takes no sample.
    func testAnEmptyFirstStepKeepsTheEpochOpen() throws {
        let source = CountingSource(count: 8, width: 3, classes: 2, failing: [0, 1])
        var configuration = PipelineConfiguration()
        configuration.batchSize = 2
        configuration.shuffle = false
        configuration.threads = 1
        configuration.epochs = 2
        configuration.waitTimeout = 120
        configuration.badInput = .skip(maximumFraction: 0.5)
        let pipeline = try BatchPipeline(dataset: source, configuration: configuration)
        var generator = RandomGenerator(seed: 3)
        let model = Sequential(Dense(inputSize: 3, outputSize: 2, generator: &generator))
        let recorder = Recorder()
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.01), callbacks: [recorder])
        let summary = try trainer.fit(pipeline)

        XCTAssertEqual(recorder.steps.map(\.samples), [0, 2, 2, 2, 0, 2, 2, 2])
        XCTAssertEqual(recorder.steps.map(\.epochSamples), [0, 2, 4, 6, 0, 2, 4, 6])
        for step in recorder.steps {
            XCTAssertFalse(step.epochLoss.isNaN, "step \(step.step): epoch loss")
            XCTAssertFalse(step.epochAccuracy.isNaN, "step \(step.step): epoch accuracy")
        }
        XCTAssertEqual(recorder.steps[0].epochLoss, 0)
        XCTAssertEqual(recorder.steps[0].epochAccuracy, 0)
        XCTAssertEqual(recorder.steps[0].loss, 0)
        // The epoch began at its first (empty) step and was not begun again at the second.
        XCTAssertEqual(recorder.clearedAtEpochStart, [true, true])
        XCTAssertEqual(recorder.markerAtEpochEnd, [true, true])
        XCTAssertEqual(recorder.epochs.map(\.samples), [6, 6])
        for epoch in recorder.epochs {
            XCTAssertTrue(epoch.loss.isFinite && epoch.loss > 0, "epoch \(epoch.epoch): loss \(epoch.loss)")
            XCTAssertTrue(epoch.accuracy.isFinite, "epoch \(epoch.epoch): accuracy")
        }
        XCTAssertEqual(summary.steps, 8)
        XCTAssertEqual(summary.samples, 12)
        XCTAssertEqual(pipeline.quarantine.entries.count, 2)
    }
}
