import Checkpoints
import DataPipeline

/// Saves checkpoints: at the end of every `everyEpochs`-th epoch and of the last, every
/// `everySteps` steps if set, and always when training is interrupted or a callback stops it
/// (so Ctrl-C or early stopping never ends a run without a checkpoint of the last step taken).
/// Each holds the states of the run's `StatefulCallback`s (the `Trainer` calls checkpoint
/// callbacks after the others). Announces `.checkpointSaved` after handing each to the store.
public final class CheckpointCallback: TrainingCallback {
    /// The store.
    public let store: CheckpointStore
    /// Save every this many epochs (and after the last epoch).
    public let everyEpochs: Int
    /// The run's number of epochs.
    public let totalEpochs: Int
    /// Save every this many steps, if set.
    public let everySteps: Int?
    /// What every checkpoint records besides the model and optimizer.
    public let preprocessing: Preprocessing
    /// The configuration text saved in every manifest.
    public let configuration: String?
    /// Extra hyperparameters saved in every manifest.
    public let hyperparameters: [String: String]
    /// The validation callback whose best accuracy is recorded, if any.
    public let validation: ValidationCallback?
    /// The step of the last checkpoint handed to the store.
    public private(set) var lastSavedStep: Int?

    /// Creates the callback.
    public init(
        store: CheckpointStore, everyEpochs: Int, totalEpochs: Int, everySteps: Int?, preprocessing: Preprocessing,
        configuration: String?, hyperparameters: [String: String], validation: ValidationCallback?
    ) {
        self.store = store
        self.everyEpochs = max(1, everyEpochs)
        self.totalEpochs = totalEpochs
        self.everySteps = everySteps
        self.preprocessing = preprocessing
        self.configuration = configuration
        self.hyperparameters = hyperparameters
        self.validation = validation
    }

    /// Saves when the schedule or an interrupt says so.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .stepEnded(let step):
            let epochSaves = step.isLastInEpoch && savesAtEnd(ofEpoch: step.epoch)
            if let every = everySteps, step.step % every == 0, !epochSaves {
                try save(
                    trainer: trainer, epoch: step.stateAfter.epoch, state: step.stateAfter, metrics: ["loss": Double(step.loss)], reason: "steps")
            }
        case .epochEnded(let epoch):
            if savesAtEnd(ofEpoch: epoch.epoch) {
                try save(trainer: trainer, epoch: epoch.stateAfter.epoch, state: epoch.stateAfter, metrics: trainer.epochMetrics, reason: "epoch")
            }
        case .interrupted(let step):
            if let step, lastSavedStep != step.step {
                try save(
                    trainer: trainer, epoch: step.stateAfter.epoch, state: step.stateAfter, metrics: ["loss": Double(step.loss)], reason: "interrupt")
            }
        case .stopped(let stop):
            if let step = stop.step, lastSavedStep != step.step {
                // Stopped at an epoch's end: that epoch's figures (validation included).
                let metrics = step.isLastInEpoch ? trainer.epochMetrics : ["loss": Double(step.loss)]
                try save(trainer: trainer, epoch: step.stateAfter.epoch, state: step.stateAfter, metrics: metrics, reason: "stop")
            }
        default:
            break
        }
    }

    private func savesAtEnd(ofEpoch epoch: Int) -> Bool {
        (epoch + 1) % everyEpochs == 0 || epoch + 1 == totalEpochs
    }

    private func save(trainer: Trainer, epoch: Int, state: PipelineState, metrics: [String: Double], reason: String) throws {
        var all = metrics
        if let best = validation?.bestAccuracy { all["best_validation_accuracy"] = best }
        var hyperparameters = self.hyperparameters
        hyperparameters["learning_rate"] = "\(trainer.optimizer.learningRate)"
        try store.save(
            TrainingCheckpoint.contents(
                model: trainer.model, optimizer: trainer.optimizer, step: trainer.stepCount, epoch: epoch, pipelineState: state,
                preprocessing: preprocessing, metrics: all, hyperparameters: hyperparameters, configuration: configuration,
                epochTotals: trainer.epochTotals, callbackStates: try StatefulCallbacks.states(of: trainer.callbacks)))
        lastSavedStep = trainer.stepCount
        try trainer.announce(.checkpointSaved(CheckpointEvent(step: trainer.stepCount, epoch: epoch, reason: reason)))
    }
}
