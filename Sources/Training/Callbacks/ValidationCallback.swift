import DataPipeline

/// Evaluates the model on validation data at the end of every epoch, puts
/// `validation_loss` and `validation_accuracy` into the trainer's epoch metrics (for the
/// callbacks after it: checkpoints, logs, progress) and announces `.validated`.
public final class ValidationCallback: TrainingCallback {
    /// The validation data.
    public let source: DataSource
    /// The class names.
    public let classNames: [String]
    /// Decode threads.
    public let threads: Int
    /// The last evaluation.
    public private(set) var latest: Evaluation?
    /// The best validation accuracy so far (restored on resume).
    public var bestAccuracy: Double?
    /// What to do with a sample that cannot be read (the training pipeline's policy).
    public let badInput: BadInputPolicy

    /// Validates on `source`.
    public init(source: DataSource, classNames: [String], threads: Int, bestAccuracy: Double? = nil, badInput: BadInputPolicy = .fail) {
        self.badInput = badInput
        self.source = source
        self.classNames = classNames
        self.threads = threads
        self.bestAccuracy = bestAccuracy
    }

    /// Runs the evaluation when an epoch ends.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        guard case .epochEnded(let epoch) = event else { return }
        if let regression = trainer.regression {
            try validateRegression(regression, epoch: epoch, trainer: trainer)
            return
        }
        let evaluation = try Evaluation.run(
            model: trainer.model, source: source, loss: trainer.loss, classNames: classNames, threads: threads,
            communicator: trainer.exchange.communicator, badInput: badInput)
        latest = evaluation
        bestAccuracy = max(bestAccuracy ?? evaluation.accuracy, evaluation.accuracy)
        trainer.epochMetrics["validation_loss"] = evaluation.loss
        trainer.epochMetrics["validation_accuracy"] = evaluation.accuracy
        try trainer.announce(.validated(ValidationEvent(epoch: epoch.epoch, step: epoch.step, evaluation: evaluation)))
    }

    /// A regression's validation: `validation_loss`, `validation_rmse`, `validation_mae` and
    /// `validation_r2` (no accuracy; the best checkpoint is the lowest validation loss). A
    /// multi-label run's: `validation_loss`, `validation_accuracy` (of labels),
    /// `validation_exact_match` and `validation_f1`.
    private func validateRegression(_ regression: RegressionTargets, epoch: EpochEvent, trainer: Trainer) throws {
        let function = (trainer.loss as? LabelLoss)?.function as? any RegressionLossFunction ?? MeanSquaredErrorLoss()
        let evaluation = try Evaluation.run(
            model: trainer.model, source: source, loss: function, regression: regression, names: classNames, threads: threads,
            communicator: trainer.exchange.communicator, badInput: badInput)
        latest = evaluation
        trainer.epochMetrics["validation_loss"] = evaluation.loss
        if let figures = evaluation.regression {
            trainer.epochMetrics["validation_rmse"] = figures.rmse
            trainer.epochMetrics["validation_mae"] = figures.mae
            trainer.epochMetrics["validation_r2"] = figures.r2
        }
        if let figures = evaluation.multiLabel {
            bestAccuracy = max(bestAccuracy ?? figures.accuracy, figures.accuracy)
            trainer.epochMetrics["validation_accuracy"] = figures.accuracy
            trainer.epochMetrics["validation_exact_match"] = figures.exactMatch
            trainer.epochMetrics["validation_f1"] = figures.f1
        }
        try trainer.announce(.validated(ValidationEvent(epoch: epoch.epoch, step: epoch.step, evaluation: evaluation)))
    }
}
