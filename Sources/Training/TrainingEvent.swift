import DataPipeline

/// What the training loop (or a callback) announces to the callbacks, in order.
public enum TrainingEvent: Sendable {
    /// The loop is about to take its first step (after a resume: the step it continues from).
    case began(step: Int, epoch: Int)
    /// A step's gradients are ready and the optimizer is about to update the weights: the
    /// gradients are in the model's parameters (`trainer.model.visitParameters { name,
    /// parameter in ... parameter.gradient ... }`), summed over the whole global batch (in a
    /// data-parallel run, the same on every rank), and a callback may read or change them
    /// (clip, scale, log their norm) before the update uses them.
    case beforeUpdate(UpdateEvent)
    /// A step ended.
    case stepEnded(StepEvent)
    /// An epoch's last step ended.
    case epochEnded(EpochEvent)
    /// A validation pass ended (announced by `ValidationCallback`).
    case validated(ValidationEvent)
    /// A checkpoint was handed to the store (announced by `CheckpointCallback`).
    case checkpointSaved(CheckpointEvent)
    /// The loop stopped early because `shouldStop` said so (Ctrl-C); the step is the last one taken.
    case interrupted(StepEvent?)
    /// The loop stopped early because a callback asked (`Trainer.requestStop(reason:)`, such as
    /// `EarlyStopping`), after that step's events.
    case stopped(StopEvent)
    /// The loop ended (after the last epoch, or after an interrupt).
    case ended(TrainingSummary)
}

/// One optimizer step.
public struct StepEvent: Sendable {
    /// Steps taken in the whole run, this one included (after a resume, counting from the start).
    public var step: Int
    /// The epoch the batch belongs to (0-based).
    public var epoch: Int
    /// The batch's number within its epoch (0-based).
    public var batchInEpoch: Int
    /// Batches per epoch.
    public var batchesPerEpoch: Int
    /// Whether this was the epoch's last batch.
    public var isLastInEpoch: Bool
    /// The batch's mean loss.
    public var loss: Float
    /// Samples in the batch.
    public var samples: Int
    /// Samples classified correctly (before the update).
    public var correct: Int
    /// The learning rate used.
    public var learningRate: Float
    /// The pipeline's state after this batch: saving it resumes exactly after this step.
    public var stateAfter: PipelineState
    /// The share of the loop's time spent waiting for data so far.
    public var dataWaitFraction: Double
    /// Seconds since the epoch's first step began.
    public var epochSeconds: Double
    /// Samples of this epoch so far, this batch included.
    public var epochSamples: Int
    /// The running mean loss of the epoch so far (per sample; `Trainer.epochTotals`, which a
    /// resume halfway through the epoch restores).
    public var epochLoss: Double
    /// The running accuracy of the epoch so far.
    public var epochAccuracy: Double
}

/// A step about to update the weights (its gradients are in the model's parameters).
public struct UpdateEvent: Sendable {
    /// The step being taken (steps of the whole run, counting from 1).
    public var step: Int
    /// The epoch the batch belongs to (0-based).
    public var epoch: Int
    /// The batch's number within its epoch (0-based).
    public var batchInEpoch: Int
    /// The samples the gradients were computed from (the global batch's, bad ones left out).
    public var samples: Int
    /// The learning rate the update will use (`trainer.optimizer.learningRate`).
    public var learningRate: Float
}

/// A stop a callback asked for.
public struct StopEvent: Sendable {
    /// The reason it gave.
    public var reason: String
    /// The last step taken (nil when the stop came before this pass's first step).
    public var step: StepEvent?
}

/// The end of an epoch.
public struct EpochEvent: Sendable {
    /// The epoch that ended (0-based).
    public var epoch: Int
    /// Steps taken in the whole run.
    public var step: Int
    /// The epoch's mean training loss per sample (all its steps, those before a resume
    /// included when the checkpoint's `Trainer.epochTotals` were restored).
    public var loss: Double
    /// The epoch's training accuracy.
    public var accuracy: Double
    /// Samples in the epoch (in this process: after a resume, only those seen since).
    public var samples: Int
    /// Wall time of the epoch.
    public var seconds: Double
    /// The learning rate of its last step.
    public var learningRate: Float
    /// The share of the loop's time spent waiting for data so far.
    public var dataWaitFraction: Double
    /// The pipeline's state after the epoch.
    public var stateAfter: PipelineState

    /// Samples per second over the epoch.
    public var samplesPerSecond: Double { Double(samples) / max(seconds, 1e-9) }
}

/// A validation pass.
public struct ValidationEvent: Sendable {
    /// The epoch it followed.
    public var epoch: Int
    /// Steps taken.
    public var step: Int
    /// The figures.
    public var evaluation: Evaluation
}

/// A checkpoint handed to the store (committed asynchronously; the store's `waitUntilSaved`
/// reports a failed commit).
public struct CheckpointEvent: Sendable {
    /// Steps taken when it was taken.
    public var step: Int
    /// The epoch in progress.
    public var epoch: Int
    /// Why: `epoch`, `steps`, `interrupt` or `stop` (a callback stopped the run).
    public var reason: String
}

/// What one pass of `Trainer.fit` did.
public struct TrainingSummary: Sendable, Equatable {
    /// Steps taken in this pass.
    public var steps: Int
    /// Steps taken in the whole run (after a resume, counting from the start).
    public var totalSteps: Int
    /// Samples consumed in this pass.
    public var samples: Int
    /// Mean loss per sample of each epoch finished in this pass.
    public var epochLosses: [Double]
    /// Epochs completed in the whole run.
    public var epochsCompleted: Int
    /// Wall time of the pass.
    public var seconds: Double
    /// The share of the pass spent waiting for data.
    public var dataWaitFraction: Double
    /// The pipeline's state after the last batch (save it to resume).
    public var pipelineState: PipelineState
    /// Whether `shouldStop` ended the pass early.
    public var interrupted: Bool
    /// Why a callback stopped the pass early (`Trainer.requestStop(reason:)`), if one did.
    public var stopReason: String? = nil
    /// The mean loss per sample of the steps taken in an epoch that a stop cut short (with
    /// those before a resume halfway through it, when restored: `Trainer.epochTotals`; nil when
    /// every epoch this pass began was finished, or its steps' samples were all left out);
    /// `epochLosses` holds finished epochs only.
    public var unfinishedEpochLoss: Double?
    /// How many steps `unfinishedEpochLoss` averages.
    public var unfinishedEpochSteps = 0
}
