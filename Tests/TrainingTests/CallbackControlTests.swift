import Checkpoints
import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// Stops a callback asks for, the hook before the optimizer's update, and callback state that
/// survives a resume, through the one training loop on in-memory data.
final class CallbackControlTests: XCTestCase {
    /// 24 samples of 4 features in 3 classes; batches of 8 (3 steps per epoch), not shuffled.
    private let features = Tensor.random([24, 4], seed: 5)
    private let labels = (0..<24).map { $0 % 3 }

    private func pipeline(epochs: Int, resumingFrom state: PipelineState? = nil) throws -> BatchPipeline {
        var configuration = PipelineConfiguration()
        configuration.batchSize = 8
        configuration.shuffle = false
        configuration.epochs = epochs
        configuration.waitTimeout = 120
        return try BatchPipeline(
            dataset: TensorDataset(features: features, labels: labels), configuration: configuration, resumingFrom: state)
    }

    private func model() -> Sequential {
        var generator = RandomGenerator(seed: 2)
        return Sequential(
            Dense(inputSize: 4, outputSize: 6, generator: &generator), ReLU(), Dense(inputSize: 6, outputSize: 3, generator: &generator))
    }

    /// Calls `body` for every event (a callback in one line).
    private final class OnEvent: TrainingCallback {
        let body: (TrainingEvent, Trainer) throws -> Void
        init(_ body: @escaping (TrainingEvent, Trainer) throws -> Void) { self.body = body }
        func handle(_ event: TrainingEvent, trainer: Trainer) throws { try body(event, trainer) }
    }

    func testACallbackStopsAfterTheStepItAskedAtAndTheLastStepIsSaved() throws {
        let directory = try TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path("checkpoints").path)
        let checkpoints = CheckpointCallback(
            store: store, everyEpochs: 1, totalEpochs: 10, everySteps: nil, preprocessing: Preprocessing(), configuration: nil,
            hyperparameters: [:], validation: nil)
        let recorder = StepRecorder()
        let stopper = OnEvent { event, trainer in
            if case .stepEnded(let step) = event, step.step == 5 { trainer.requestStop(reason: "enough at 5") }
        }
        // The checkpoint callback given first still runs after the others.
        let trainer = Trainer(
            model: model(), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: [checkpoints, stopper, recorder])
        XCTAssertTrue(trainer.callbacks.last is CheckpointCallback)
        let summary = try trainer.fit(try pipeline(epochs: 10))
        try store.waitUntilSaved()
        XCTAssertEqual(summary.totalSteps, 5)
        XCTAssertFalse(summary.interrupted)
        XCTAssertEqual(summary.stopReason, "enough at 5")
        XCTAssertEqual(summary.epochsCompleted, 1)
        XCTAssertEqual(Array(recorder.events.suffix(5)), ["step", "step", "stopped", "checkpoint", "ended"])
        // Saved at the end of epoch 1 (step 3) and at the stop (step 5), the stop's state included.
        XCTAssertEqual(store.checkpoints().map(\.step), [3, 5])
        let latest = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(latest.manifest.step, 5)
        let state = try XCTUnwrap(try TrainingCheckpoint.pipelineState(of: latest.manifest, path: latest.path))
        XCTAssertEqual([state.epoch, state.position], [1, 16], "after the second batch of epoch 2")
    }

    func testAStopAskedAtBeganTakesNoStep() throws {
        let stopper = OnEvent { event, trainer in if case .began = event { trainer.requestStop(reason: "nothing to do") } }
        let recorder = StepRecorder()
        let trainer = Trainer(model: model(), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: [stopper, recorder])
        let summary = try trainer.fit(try pipeline(epochs: 2))
        XCTAssertEqual(summary.totalSteps, 0)
        XCTAssertEqual(summary.stopReason, "nothing to do")
        XCTAssertEqual(recorder.events, ["began", "stopped", "ended"])
    }

    /// The hook sees every step before its update, in order, and what it does to the gradients
    /// is what the optimizer uses: halving them at learning rate 0.1 gives the bits of plain SGD
    /// at 0.05 (halving and doubling are exact in floating point).
    func testTheHookBeforeTheUpdateChangesTheGradientsTheOptimizerUses() throws {
        var steps: [Int] = []
        var rates: [Float] = []
        let halve = OnEvent { event, trainer in
            guard case .beforeUpdate(let update) = event else { return }
            steps.append(update.step)
            rates.append(update.learningRate)
            XCTAssertEqual(update.samples, 8)
            trainer.model.visitParameters { _, parameter in parameter.gradient = parameter.gradient * 0.5 }
        }
        let hooked = model()
        try Trainer(model: hooked, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: [halve]).fit(try pipeline(epochs: 2))
        let plain = model()
        try Trainer(model: plain, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.05)).fit(try pipeline(epochs: 2))
        XCTAssertEqual(steps, Array(1...6))
        XCTAssertEqual(rates, [Float](repeating: 0.1, count: 6))
        XCTAssertEqual(hooked.stateTensors().map(\.tensor.scalars), plain.stateTensors().map(\.tensor.scalars))
        XCTAssertNotEqual(hooked.stateTensors().map(\.tensor.scalars), model().stateTensors().map(\.tensor.scalars), "training moved the weights")
    }

    /// Training loss with a min delta no epoch can reach: epoch 1 is the best, epochs 2 and 3 do
    /// not improve, so patience 2 stops after epoch 3 (step 9 of 3 steps per epoch). Resumed from
    /// each checkpoint of that run (model, optimizer, pipeline and callback state restored), the
    /// run stops at the same step with the same weights; without the state it would train on.
    func testAResumedRunStopsAtTheSameStepWithTheSameWeights() throws {
        let directory = try TemporaryDirectory()
        func run(_ name: String, from checkpoint: LoadedCheckpoint?, restoringStates: Bool = true) throws -> (TrainingSummary, [[Float]]) {
            let trainedModel = model()
            let optimizer = Adam(learningRate: 0.01)
            let stopping = EarlyStopping(metric: .loss, patience: 2, minimumDelta: 1000)
            let store = try CheckpointStore(directory: directory.path(name).path, retention: RetentionPolicy(keepLast: 100, keepBest: 0))
            let checkpoints = CheckpointCallback(
                store: store, everyEpochs: 1, totalEpochs: 10, everySteps: 1, preprocessing: Preprocessing(), configuration: nil,
                hyperparameters: [:], validation: nil)
            let trainer = Trainer(
                model: trainedModel, loss: SoftmaxCrossEntropy(), optimizer: optimizer, stepCount: checkpoint?.manifest.step ?? 0,
                callbacks: [stopping, checkpoints])
            var state: PipelineState?
            if let checkpoint {
                let manifest = try TrainingCheckpoint.restore(checkpoint, model: trainedModel, optimizer: optimizer)
                state = try TrainingCheckpoint.pipelineState(of: manifest, path: checkpoint.path)
                if restoringStates { try TrainingCheckpoint.restoreStates(of: trainer, from: manifest, path: checkpoint.path) }
            }
            let summary = try trainer.fit(try pipeline(epochs: 10, resumingFrom: state))
            try store.waitUntilSaved()
            return (summary, trainedModel.stateTensors().map(\.tensor.scalars))
        }
        let (whole, wholeWeights) = try run("whole", from: nil)
        XCTAssertEqual(whole.totalSteps, 9)
        XCTAssertEqual(whole.epochsCompleted, 3)
        XCTAssertEqual(whole.stopReason?.hasPrefix("early stopping: training loss did not improve by 1000 for 2 epochs; best "), true)
        XCTAssertEqual(whole.stopReason?.hasSuffix(" at epoch 1"), true)
        let store = try CheckpointStore(directory: directory.path("whole").path, mode: .readOnly)
        XCTAssertEqual(store.checkpoints().map(\.step), Array(1...9))
        for step in 1...9 {
            let checkpoint = try CheckpointStore.load(checkpoint: "\(store.directory)/step-\(String(format: "%09d", step))")
            let (resumed, weights) = try run("from-\(step)", from: checkpoint)
            XCTAssertEqual(resumed.totalSteps, 9, "resumed from step \(step)")
            XCTAssertEqual(resumed.stopReason, whole.stopReason, "resumed from step \(step)")
            XCTAssertEqual(weights, wholeWeights, "resumed from step \(step)")
        }
        // Without the state, a run resumed in epoch 2 starts counting afresh and trains past step 9.
        let checkpoint = try CheckpointStore.load(checkpoint: "\(store.directory)/step-000000004")
        XCTAssertGreaterThan(try run("forgetful", from: checkpoint, restoringStates: false).0.totalSteps, 9)
    }

    /// The documentation's example of a stateful callback, as a user writes it.
    private final class BestLoss: StatefulCallback {
        var state: Double?
        func handle(_ event: TrainingEvent, trainer: Trainer) throws {
            if case .epochEnded(let epoch) = event { state = min(state ?? epoch.loss, epoch.loss) }
        }
        func restore(_ state: Double?) throws { self.state = state }
    }

    func testAUserStateIsSavedUnderItsTypeNameAndRestored() throws {
        let directory = try TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path("checkpoints").path)
        let checkpoints = CheckpointCallback(
            store: store, everyEpochs: 1, totalEpochs: 2, everySteps: nil, preprocessing: Preprocessing(), configuration: nil,
            hyperparameters: [:], validation: nil)
        let best = BestLoss()
        let recorder = StepRecorder()
        let trainer = Trainer(
            model: model(), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: [best, recorder, checkpoints])
        try trainer.fit(try pipeline(epochs: 2))
        try store.waitUntilSaved()
        XCTAssertEqual(best.stateKey, "BestLoss")
        XCTAssertEqual(best.state, recorder.epochLosses.min())
        let latest = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(latest.manifest.callbackStates?["BestLoss"], .number(try XCTUnwrap(recorder.epochLosses.min())))
        let restored = BestLoss()
        try TrainingCheckpoint.restoreStates(of: [restored], from: latest.manifest, path: latest.path)
        XCTAssertEqual(restored.state, best.state)
    }

    func testMisusedCallbacksAreErrorsBeforeTheFirstStep() throws {
        let cases: [([any TrainingCallback], String, String)] = [
            ([EarlyStopping(metric: .loss, patience: 0)], "EarlyStopping", "patience 0 is not allowed"),
            ([EarlyStopping(metric: .loss, patience: 2, minimumDelta: -1)], "EarlyStopping", "minimumDelta -1.0 is not allowed"),
            ([EarlyStopping(metric: .loss, patience: 2, minimumDelta: .nan)], "EarlyStopping", "minimumDelta nan is not allowed"),
            ([EarlyStopping(metric: .validationLoss, patience: 2)], "EarlyStopping", "no ValidationCallback"),
            ([EarlyStopping(metric: .loss, patience: 2), EarlyStopping(metric: .loss, patience: 3)], "early_stopping.loss", "two callbacks"),
        ]
        for (callbacks, name, reason) in cases {
            let trainedModel = model()
            let before = trainedModel.stateTensors().map(\.tensor.scalars)
            let trainer = Trainer(model: trainedModel, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), callbacks: callbacks)
            XCTAssertThrowsError(try trainer.fit(try pipeline(epochs: 1)), reason) { error in
                let error = error as? CallbackError
                XCTAssertEqual(error?.callback, name)
                XCTAssertTrue(error?.reason.contains(reason) == true, "\(String(describing: error))")
            }
            XCTAssertEqual(trainer.stepCount, 0, reason)
            XCTAssertEqual(trainedModel.stateTensors().map(\.tensor.scalars), before, reason)
        }
    }
}
