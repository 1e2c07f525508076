/// Writes TensorBoard scalars: the step loss and learning rate (a regression's also its batch's
/// RMSE, a multi-label run's its accuracy) every `everySteps` steps, and the epoch metrics
/// (training and validation loss and accuracy, a regression's RMSE, MAE and R², a multi-label
/// run's also the exact-match ratio and F1) at each epoch's end.
public final class TensorBoardCallback: TrainingCallback {
    private let writer: TensorBoardWriter
    /// Log every this many steps.
    public let everySteps: Int

    /// Writes event files into `directory`.
    public init(directory: String, everySteps: Int) throws {
        writer = try TensorBoardWriter(directory: directory)
        self.everySteps = max(1, everySteps)
    }

    /// Writes scalars.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .stepEnded(let step) where step.step % everySteps == 0:
            var scalars = [("train/loss", step.loss), ("train/learning_rate", step.learningRate)]
            if let sums = trainer.lastStepRegression { scalars.append(("train/rmse", Float(sums.rootMeanSquaredError))) }
            if let sums = trainer.lastStepMultiLabel { scalars.append(("train/accuracy", Float(sums.accuracy))) }
            try writer.add(scalars: scalars, step: step.step)
        case .epochEnded(let epoch):
            let scalars = trainer.epochMetrics.keys.sorted().compactMap { key -> (tag: String, value: Float)? in
                guard let value = trainer.epochMetrics[key] else { return nil }
                return ("epoch/\(key)", Float(value))
            }
            try writer.add(scalars: scalars, step: epoch.step)
        default:
            break
        }
    }
}
