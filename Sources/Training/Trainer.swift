import DataPipeline
import Dispatch
import Distributed
import Layers
import Optimizers
import Tensors

/// A loss against class labels that also says which class each output predicts (for accuracy).
public protocol ClassificationLoss: Loss where Target == [Int] {
    /// The predicted class of each row of `output`.
    func predictions(_ output: Tensor) -> [Int]

    /// How many classes rows of `width` outputs can be scored against: labels must be below it.
    /// Training and evaluation check every label first (a model that does not fit its data is an
    /// error naming its last layer, not a trap inside the loss).
    func labelLimit(outputWidth width: Int) -> Int
}

extension ClassificationLoss {
    /// `max(width, 2)`: one output per class, or a single output for two classes.
    public func labelLimit(outputWidth width: Int) -> Int { max(width, 2) }

    /// How many rows of `output` predict their label.
    public func correctCount(_ output: Tensor, labels: [Int]) -> Int {
        zip(predictions(output), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    }
}

/// The one training loop. It takes batches from a `BatchPipeline` (whose producer decodes the
/// next batches while a step runs), runs forward, loss, backward and the optimizer update for
/// each, and announces every step, epoch end and interrupt to its callbacks, which do
/// everything else: progress output, metrics files, TensorBoard, validation, checkpoints.
///
/// The three classic update modes are configurations of this loop: every sample (batch size 1),
/// full batch (batch size = the dataset, no shuffling) and mini-batches. Stochastic layers draw
/// from a generator derived from (seed, step), so a resumed run takes exactly the steps an
/// uninterrupted one would.
public final class Trainer {
    /// The model.
    public let model: any Layer
    /// The loss.
    public let loss: any ClassificationLoss
    /// The optimizer.
    public let optimizer: any Optimizer
    /// The learning-rate schedule (nil: the optimizer's rate throughout).
    public let schedule: (any LearningRateSchedule)?
    /// The seed of stochastic layers.
    public let seed: UInt64
    /// The callbacks, called in this order.
    public private(set) var callbacks: [any TrainingCallback]
    /// Steps taken in the whole run so far (restored on resume).
    public private(set) var stepCount: Int
    /// Figures of the current epoch that callbacks share (training loss and accuracy when the
    /// epoch ends; a validation callback adds `validation_loss` and `validation_accuracy`).
    /// Cleared when the next epoch begins.
    public var epochMetrics: [String: Double] = [:]
    /// The pipeline state after the last step (nil before the first).
    public private(set) var pipelineState: PipelineState?
    /// Why a callback asked the loop to stop (`requestStop(reason:)`), if one did.
    public private(set) var stopReason: String?
    /// The running sums of the epoch in progress (saved in checkpoints; restored with
    /// `TrainingCheckpoint.restoreStates(of:from:path:)`, they carry over into a `fit` that
    /// resumes the epoch halfway, and are cleared by one that starts at an epoch's beginning).
    public var epochTotals = EpochTotals()

    /// Samples per gradient chunk: each global batch is cut into chunks of this size whose
    /// gradients are summed in one fixed order, so the bits are the same on any number of ranks.
    /// Nil: `DataParallel.defaultChunkSize` of each batch's size.
    public var chunkSize: Int?
    /// Whether bad samples may be left out of batches (the `.skip` policy, set by `fit` from the
    /// pipeline): each step of a data-parallel run then gathers the kept and left-out samples of
    /// every rank (small collectives) to weight the chunks and to judge the budget globally.
    public var leavesOutSamples = false
    /// The skip policy's budget: at most `fraction` of `total` samples bad over the whole run.
    public var badSampleBudget: (fraction: Double, total: Int)?
    /// The samples left out on any rank so far (data-parallel runs under the skip policy).
    var leftOutEverywhere = Set<Int>()
    /// The samples of the global batch the last step trained on (bad ones left out).
    public internal(set) var lastStepSamples = 0
    /// The stage between backward and the optimizer that sums the chunks' gradients across ranks.
    public var exchange: any GradientExchange = OrderedGradientExchange(communicator: SingleProcess())
    /// Wall seconds spent in steps (forward, backward, exchange, update) so far.
    public internal(set) var stepSeconds = 0.0
    /// Wall seconds spent in the small collectives besides the gradient exchange (loss figures,
    /// the stop vote) so far.
    public internal(set) var coordinationSeconds = 0.0

    /// The targets of a regression or multi-label run (nil: class labels): the last `count`
    /// values of each batch row are split off as targets, and the loss must be a
    /// `RegressionLossFunction` (for multi-label, `BinaryCrossEntropyWithLogitsLoss`).
    public var regression: RegressionTargets?
    /// The regression sums of the last step's global batch (nil for class labels and multi-label).
    public internal(set) var lastStepRegression: RegressionSums?
    /// The multi-label counts of the last step's global batch (nil unless the targets are 0/1 labels).
    public internal(set) var lastStepMultiLabel: MultiLabelSums?

    let context = ForwardContext(isTraining: true)
    /// The model's leaf layers and where their parameters lie in the flat gradient, worked out at
    /// the first step (the model never changes).
    private var cachedParameterLayout: ParameterLayout?

    /// The model's `ParameterLayout` (worked out once), or the `ModelStructureError` that stops training it.
    func parameterLayout() throws -> ParameterLayout {
        if let cachedParameterLayout { return cachedParameterLayout }
        let layout = try ParameterLayout(model: model)
        cachedParameterLayout = layout
        return layout
    }

    /// Creates a trainer; `stepCount` is the number of steps already taken (when resuming).
    public init(
        model: any Layer, loss: any ClassificationLoss, optimizer: any Optimizer, schedule: (any LearningRateSchedule)? = nil,
        seed: UInt64 = 0, stepCount: Int = 0, callbacks: [any TrainingCallback] = []
    ) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.seed = seed
        self.stepCount = stepCount
        self.callbacks = Trainer.checkpointsLast(callbacks)
    }

    /// Adds a callback after the others (but before any `CheckpointCallback`).
    public func add(_ callback: any TrainingCallback) {
        callbacks = Trainer.checkpointsLast(callbacks + [callback])
    }

    /// Asks the loop to stop cleanly after the events of the current step (or, asked at
    /// `.began`, before the first step): it announces `.stopped` (a `CheckpointCallback` saves
    /// the last step if it has not yet), then `.ended`, and `fit` returns a summary carrying
    /// `reason`. The first reason is kept. In a data-parallel run every rank's callbacks must
    /// ask at the same step (as `EarlyStopping` does, its figures being global).
    public func requestStop(reason: String) {
        if stopReason == nil { stopReason = reason }
    }

    /// `callbacks` in order, with the `CheckpointCallback`s moved to the end (as Lightning does)
    /// so that a checkpoint holds the state every other callback reached at its step.
    private static func checkpointsLast(_ callbacks: [any TrainingCallback]) -> [any TrainingCallback] {
        callbacks.filter { !($0 is CheckpointCallback) } + callbacks.filter { $0 is CheckpointCallback }
    }

    /// Announces `event` to every callback, in order (callbacks use it for events of their own,
    /// such as a finished validation pass).
    public func announce(_ event: TrainingEvent) throws {
        for callback in callbacks { try callback.handle(event, trainer: self) }
    }

    /// Trains on every batch the pipeline gives, until it ends or `shouldStop` returns true
    /// after a step, or `pipeline.interruptWait()` wakes the wait for a batch (then
    /// `.interrupted` is announced with the last step taken, so a checkpoint callback can save),
    /// or a callback calls `requestStop(reason:)` (then `.stopped`, and the summary says why).
    @discardableResult
    public func fit(_ pipeline: BatchPipeline, shouldStop: (() -> Bool)? = nil) throws -> TrainingSummary {
        if case .skip(let fraction) = pipeline.quarantine.policy {
            leavesOutSamples = true
            badSampleBudget = pipeline.quarantine.expectedTotal.map { (fraction, $0) }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        var samples = 0
        var steps = 0
        var epochLosses: [Double] = []
        // Samples of the epoch in this pass (for throughput); the epoch's figures are `epochTotals`.
        var epochSamples = 0
        // An epoch is open from its first step to its last; a step whose samples were all left
        // out (skip policy) adds none, so the sample count cannot tell.
        var epochIsOpen = false
        var epochStarted = started
        var interrupted = false
        var lastStep: StepEvent?
        let startState = pipeline.state
        var epochsCompleted = startState.epoch
        if startState.position == 0 { epochTotals = EpochTotals() }
        try StatefulCallbacks.checkKeys(callbacks)
        stopReason = nil
        try announce(.began(step: stepCount, epoch: startState.epoch))
        // A callback may stop the run before its first step (a resumed run that had stopped).
        while stopReason == nil, let batch = try pipeline.next() {
            if !epochIsOpen {
                epochIsOpen = true
                epochMetrics = [:]
                epochStarted = DispatchTime.now().uptimeNanoseconds
            }
            let learningRate = schedule?.learningRate(atStep: stepCount) ?? optimizer.learningRate
            optimizer.learningRate = learningRate
            let (value, correct) = try takeStep(batch)
            // The loss is the global batch's, the same on every rank: all ranks stop here together.
            guard value.isFinite else {
                throw DivergenceError(
                    step: stepCount + 1, epoch: batch.epoch, batchInEpoch: batch.indexInEpoch, loss: value, learningRate: learningRate)
            }
            let count = lastStepSamples  // the whole global batch's (kept) samples, whichever slice this rank read
            stepCount += 1
            steps += 1
            samples += count
            epochTotals.lossSum += Double(value) * Double(count)
            epochTotals.correct += correct
            epochTotals.samples += count
            epochTotals.steps += 1
            if let sums = lastStepRegression { epochTotals.regression = (epochTotals.regression ?? RegressionSums()) + sums }
            if let sums = lastStepMultiLabel { epochTotals.multiLabel = epochTotals.multiLabel.map { $0 + sums } ?? sums }
            epochSamples += count
            pipelineState = batch.stateAfter
            let waitFraction = pipeline.statistics.waitFraction
            let epochSeconds = Double(DispatchTime.now().uptimeNanoseconds - epochStarted) / 1e9
            let meanLoss = epochTotals.meanLoss
            let accuracy = epochTotals.accuracy
            let event = StepEvent(
                step: stepCount, epoch: batch.epoch, batchInEpoch: batch.indexInEpoch, batchesPerEpoch: pipeline.batchesPerEpoch,
                isLastInEpoch: batch.isLastInEpoch, loss: value, samples: count, correct: correct, learningRate: learningRate,
                stateAfter: batch.stateAfter, dataWaitFraction: waitFraction, epochSeconds: epochSeconds, epochSamples: epochSamples,
                epochLoss: meanLoss, epochAccuracy: accuracy)
            lastStep = event
            pipeline.recycle(batch)
            try announce(.stepEnded(event))
            if event.isLastInEpoch {
                epochLosses.append(meanLoss)
                epochMetrics["loss"] = meanLoss
                // A regression has no accuracy (its figures are RMSE, MAE and R²); a multi-label
                // run's is the share of labels right, with the exact-match ratio and micro-F1.
                if regression == nil { epochMetrics["accuracy"] = accuracy }
                if let sums = epochTotals.regression { epochMetrics.merge(sums.metrics()) { $1 } }
                if let sums = epochTotals.multiLabel { epochMetrics.merge(sums.metrics()) { $1 } }
                epochsCompleted = event.epoch + 1
                try announce(
                    .epochEnded(
                        EpochEvent(
                            epoch: event.epoch, step: stepCount, loss: meanLoss, accuracy: accuracy, samples: epochSamples,
                            seconds: epochSeconds, learningRate: learningRate, dataWaitFraction: waitFraction, stateAfter: event.stateAfter)))
                epochTotals = EpochTotals()
                epochSamples = 0
                epochIsOpen = false
            }
            let asked = shouldStop?() == true
            if try agreeToStop(asked || stopReason != nil) {
                // Another rank's interrupt stops this one too; a callback's stop alone is no interrupt.
                interrupted = asked || stopReason == nil
                break
            }
        }
        // A stop request woke the wait for a batch that had not come (a stalled source).
        if pipeline.wasInterrupted { interrupted = true }
        if interrupted {
            pipeline.cancel()
            try announce(.interrupted(lastStep))
        } else if let stopReason {
            pipeline.cancel()
            try announce(.stopped(StopEvent(reason: stopReason, step: lastStep)))
        }
        var summary = TrainingSummary(
            steps: steps, totalSteps: stepCount, samples: samples, epochLosses: epochLosses, epochsCompleted: epochsCompleted,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, dataWaitFraction: pipeline.statistics.waitFraction,
            pipelineState: pipelineState ?? startState, interrupted: interrupted, stopReason: stopReason)
        // An epoch a stop cut short: the mean of the steps it did take (none when all its samples were left out).
        if epochIsOpen && epochTotals.steps > 0 && epochTotals.samples > 0 {
            summary.unfinishedEpochLoss = epochTotals.meanLoss
            summary.unfinishedEpochSteps = epochTotals.steps
        }
        try announce(.ended(summary))
        return summary
    }
}
