import Foundation

/// Stops training when a metric has stopped improving, as Keras' and Lightning's
/// `EarlyStopping` do: after each epoch it compares the metric with the best value so far, and
/// once `patience` epochs in a row have not improved on it by more than `minimumDelta`, it asks
/// the trainer to stop. The run then ends cleanly: a checkpoint of the last step, the report,
/// and (from `millrace train`) exit status 0 with a line saying why.
///
/// ```swift
/// let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 1e-3),
///                       callbacks: [validation, EarlyStopping(metric: .validationLoss, patience: 3, minimumDelta: 0.001)])
/// ```
///
/// Losses are minimised and accuracies maximised. An epoch improves when its value is finite and
/// better than the best by more than `minimumDelta` (exactly `minimumDelta` better is not an
/// improvement); a NaN or infinite value never improves. The validation metrics need a
/// `ValidationCallback` among the trainer's callbacks (in any place). The best value, its
/// epoch and the count of epochs without improvement are saved in checkpoints
/// (`StatefulCallback`), so a resumed run stops at the same step as an uninterrupted one; a run
/// resumed after it stopped stops again before its first step.
public final class EarlyStopping: StatefulCallback {
    /// What is saved in checkpoints.
    public struct State: Codable, Sendable, Equatable {
        /// The best value so far (nil before the first finite one).
        public var best: Double?
        /// The epoch of the best value (0-based).
        public var bestEpoch: Int?
        /// Epochs since the best one (or since the start, before a finite value) that did not improve.
        public var epochsWithoutImprovement = 0
        /// The epoch after which it stopped the run (0-based), if it did.
        public var stoppedEpoch: Int?

        /// A state (by default: nothing seen yet).
        public init(best: Double? = nil, bestEpoch: Int? = nil, epochsWithoutImprovement: Int = 0, stoppedEpoch: Int? = nil) {
            self.best = best
            self.bestEpoch = bestEpoch
            self.epochsWithoutImprovement = epochsWithoutImprovement
            self.stoppedEpoch = stoppedEpoch
        }
    }

    /// The metric watched.
    public let metric: CheckpointMetric
    /// Epochs without improvement after which training stops (1 or more).
    public let patience: Int
    /// How much better than the best a value must be to count as an improvement (0 or more).
    public let minimumDelta: Double
    /// The best value, its epoch, the count of epochs without improvement, and whether it stopped.
    public private(set) var state = State()

    /// Watches `metric`; stops after `patience` epochs that do not improve on the best by more
    /// than `minimumDelta`. Values out of range are reported when training begins.
    public init(metric: CheckpointMetric = .validationLoss, patience: Int, minimumDelta: Double = 0) {
        self.metric = metric
        self.patience = patience
        self.minimumDelta = minimumDelta
    }

    /// Made from a pipeline file's `early_stopping` section (`metric` defaults to `validation_loss`, `min_delta` to 0).
    public convenience init(_ settings: RunConfiguration.EarlyStopping) {
        self.init(metric: settings.metric ?? .validationLoss, patience: settings.patience, minimumDelta: settings.minDelta ?? 0)
    }

    /// One key per metric watched, so that changing the metric on resume starts afresh.
    public var stateKey: String { "early_stopping.\(metric.rawValue)" }

    /// Takes back a saved state.
    public func restore(_ state: State) throws {
        self.state = state
    }

    /// Checks its settings when training begins (and stops at once a run it had stopped), and
    /// records the metric after each epoch (validation figures as `.validated` announces them).
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .began:
            try check(trainer)
            if let reason = stopReason { trainer.requestStop(reason: reason) }
        case .epochEnded(let epoch) where !metric.isValidation:
            record(metric == .loss ? epoch.loss : epoch.accuracy, epoch: epoch.epoch, trainer: trainer)
        case .validated(let validation) where metric.isValidation:
            let evaluation = validation.evaluation
            record(metric == .validationLoss ? evaluation.loss : evaluation.accuracy, epoch: validation.epoch, trainer: trainer)
        default:
            break
        }
    }

    private func record(_ value: Double, epoch: Int, trainer: Trainer) {
        if let reason = record(value, epoch: epoch) { trainer.requestStop(reason: reason) }
    }

    /// Records the metric's `value` after `epoch` (0-based) and returns why to stop, or nil to go on.
    @discardableResult
    public func record(_ value: Double, epoch: Int) -> String? {
        if improves(value) {
            state.best = value
            state.bestEpoch = epoch
            state.epochsWithoutImprovement = 0
        } else {
            state.epochsWithoutImprovement += 1
        }
        guard state.stoppedEpoch == nil, state.epochsWithoutImprovement >= patience else { return nil }
        state.stoppedEpoch = epoch
        return stopReason
    }

    /// Whether `value` is finite and better than the best by more than `minimumDelta`.
    private func improves(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        guard let best = state.best else { return true }
        return metric.isMaximized ? value - best > minimumDelta : best - value > minimumDelta
    }

    /// The line that says why it stopped, once it has: `early stopping: validation loss did not
    /// improve by 0.001 for 3 epochs; best 0.2143 at epoch 5` (epochs counted from 1).
    public var stopReason: String? {
        guard state.stoppedEpoch != nil else { return nil }
        let delta = minimumDelta == minimumDelta.rounded() && minimumDelta < 1e15 ? "\(Int(minimumDelta))" : "\(minimumDelta)"
        let by = minimumDelta > 0 ? " by \(delta)" : ""
        let count = state.epochsWithoutImprovement
        let best =
            if let value = state.best, let epoch = state.bestEpoch {
                String(format: "best %.4f at epoch %d", value, epoch + 1)
            } else { "no finite value yet" }
        return "early stopping: \(metric.words) did not improve\(by) for \(count) epoch\(count == 1 ? "" : "s"); \(best)"
    }

    private func check(_ trainer: Trainer) throws(CallbackError) {
        let name = "EarlyStopping"
        guard patience >= 1 else {
            throw CallbackError(callback: name, reason: "patience \(patience) is not allowed: it must be 1 or more", fix: "use 1 or more epochs")
        }
        guard minimumDelta >= 0, minimumDelta.isFinite else {
            throw CallbackError(
                callback: name, reason: "minimumDelta \(minimumDelta) is not allowed: it must be a finite number of 0 or more",
                fix: "use 0 or a small positive number such as 0.001")
        }
        guard !metric.isValidation || trainer.callbacks.contains(where: { $0 is ValidationCallback }) else {
            throw CallbackError(
                callback: name, reason: "it watches \(metric.rawValue), but the trainer has no ValidationCallback to measure it",
                fix: "add a ValidationCallback with validation data, or watch .loss")
        }
    }
}

extension CheckpointMetric {
    /// Whether larger is better (accuracies).
    public var isMaximized: Bool { self == .validationAccuracy || self == .accuracy }

    /// Whether the figure comes from a validation pass.
    var isValidation: Bool { self == .validationAccuracy || self == .validationLoss }

    /// The figure in words: `validation loss`, `training accuracy`.
    var words: String {
        switch self {
        case .validationAccuracy: "validation accuracy"
        case .validationLoss: "validation loss"
        case .loss: "training loss"
        case .accuracy: "training accuracy"
        }
    }
}
