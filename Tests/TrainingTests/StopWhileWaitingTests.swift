import Checkpoints
import DataPipeline
import Dispatch
import Layers
import Optimizers
import SystemIO
import Tensors
import TestSupport
import Training
import XCTest

/// A stop request is honoured while the consumer waits for a batch that does not come: the wait
/// is woken (no polling), the step already taken is saved, and batches already prefetched are
/// still handed out first.
final class StopWhileWaitingTests: XCTestCase {
    private func pipeline(_ source: StallingSource) throws -> BatchPipeline {
        var configuration = PipelineConfiguration()
        configuration.batchSize = 4
        configuration.threads = 1
        configuration.prefetchDepth = 1
        configuration.shuffle = false
        configuration.epochs = 1
        configuration.waitTimeout = 120  // a hang guard: a wait that is not woken ends in timedOut
        return try BatchPipeline(dataset: source, configuration: configuration)
    }

    func testInterruptWakesAConsumerWaitingForAStalledSource() throws {
        let source = StallingSource(count: 32, stallFrom: 8)
        defer { source.release() }
        let pipeline = try pipeline(source)
        defer { pipeline.cancel() }
        XCTAssertEqual(try pipeline.next()?.count, 4)
        XCTAssertTrue(waitUntil { source.stalledLoads == 1 }, "the producer never reached the stalled sample")
        DispatchQueue.global().async { [pipeline = UncheckedSendable(pipeline)] in pipeline.value.interruptWait() }
        // Batch 1 (samples 4-7) was decoded before the stall: it is still handed out.
        XCTAssertEqual(try pipeline.next()?.stateAfter.position, 8)
        XCTAssertNil(try pipeline.next())
        XCTAssertTrue(pipeline.wasInterrupted)
        XCTAssertNil(try pipeline.next(), "it stays stopped")
        XCTAssertEqual(pipeline.statistics.batchesConsumed, 2)
    }

    func testTrainerSavesTheLastStepWhenAStopWakesItsWait() throws {
        let directory = try TemporaryDirectory()
        let source = StallingSource(count: 32, stallFrom: 12)
        defer { source.release() }
        let pipeline = try pipeline(source)
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(Dense(inputSize: 3, outputSize: 2, generator: &generator))
        let store = try CheckpointStore(directory: directory.path("checkpoints").path)
        let checkpoints = CheckpointCallback(
            store: store, everyEpochs: 1, totalEpochs: 1, everySteps: nil, preprocessing: Preprocessing(), configuration: nil,
            hyperparameters: [:], validation: nil)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: [checkpoints])
        let stop = StopRequest()
        stop.whenRequested { [pipeline = UncheckedSendable(pipeline)] in pipeline.value.interruptWait() }
        stop.arm()
        DispatchQueue.global().async {
            if waitUntil({ source.stalledLoads == 1 }) { XCTAssertTrue(stop.request(reason: 15)) }
        }
        let summary = try trainer.fit(pipeline, shouldStop: { stop.isRequested })
        try store.waitUntilSaved()
        XCTAssertTrue(summary.interrupted)
        XCTAssertEqual(summary.steps, 3, "the three batches before the stalled sample")
        XCTAssertEqual(try store.loadLatest()?.manifest.step, 3)
        XCTAssertEqual(stop.reason, 15)
    }
}
