import Foundation

/// Progress for people through a `ProgressReporter`: a bar (or plain lines) during each epoch
/// with the run's and the epoch's remaining time, an epoch line with the training and validation
/// figures, and the loss every `printLossEvery` steps if asked (the seed's loss curve).
public final class ProgressCallback: TrainingCallback {
    private let reporter: ProgressReporter
    /// The run's number of epochs.
    public let totalEpochs: Int
    /// Print the loss every this many steps, if set.
    public let printLossEvery: Int?
    private var runStarted: Double?
    private var firstStep = 0

    /// Reports through `reporter`.
    public init(reporter: ProgressReporter, totalEpochs: Int, printLossEvery: Int?) {
        self.reporter = reporter
        self.totalEpochs = totalEpochs
        self.printLossEvery = printLossEvery
    }

    /// Draws progress and prints lines.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .began(let step, _):
            runStarted = Date().timeIntervalSince1970
            firstStep = step
        case .stepEnded(let step):
            if let every = printLossEvery, (step.step - 1) % every == 0 {
                reporter.line(String(format: "step %4d  loss %.6f", step.step - 1, step.loss))
            }
            let perStep = step.epochSeconds / Double(step.batchInEpoch + 1)
            let epochRemaining = Double(step.batchesPerEpoch - step.batchInEpoch - 1) * perStep
            let runPerStep = (Date().timeIntervalSince1970 - (runStarted ?? 0)) / Double(max(step.step - firstStep, 1))
            let runRemaining = Double(totalEpochs * step.batchesPerEpoch - step.step) * runPerStep
            reporter.step(
                epoch: step.epoch, epochs: totalEpochs, batch: step.batchInEpoch + 1, batches: step.batchesPerEpoch,
                loss: step.epochLoss, accuracy: step.epochAccuracy,
                samplesPerSecond: Double(step.epochSamples) / max(step.epochSeconds, 1e-9), waitShare: step.dataWaitFraction,
                remainingSeconds: epochRemaining, runRemainingSeconds: max(0, runRemaining),
                rootMeanSquaredError: trainer.epochTotals.regression?.rootMeanSquaredError)
        case .epochEnded(let epoch):
            var text = String(format: "epoch %d/%d  loss %.4f  acc %.1f%%", epoch.epoch + 1, totalEpochs, epoch.loss, epoch.accuracy * 100)
            let metrics = trainer.epochMetrics
            if let rmse = metrics["rmse"], let mae = metrics["mae"], let r2 = metrics["r2"] {
                text = String(format: "epoch %d/%d  loss %.4f  rmse %.4g  mae %.4g  r2 %.4f", epoch.epoch + 1, totalEpochs, epoch.loss, rmse, mae, r2)
                if let loss = metrics["validation_loss"], let rmse = metrics["validation_rmse"], let r2 = metrics["validation_r2"] {
                    text += String(format: "  validation loss %.4f  rmse %.4g  r2 %.4f", loss, rmse, r2)
                }
            } else if let exact = metrics["exact_match"], let f1 = metrics["f1"] {
                // Multi-label: the accuracy is of labels; the exact-match ratio is of rows.
                text += String(format: "  exact %.1f%%  f1 %.3f", exact * 100, f1)
                if let loss = metrics["validation_loss"], let accuracy = metrics["validation_accuracy"],
                    let exact = metrics["validation_exact_match"],
                    let f1 = metrics["validation_f1"]
                {
                    text += String(format: "  validation loss %.4f  acc %.1f%%  exact %.1f%%  f1 %.3f", loss, accuracy * 100, exact * 100, f1)
                }
            } else if let loss = trainer.epochMetrics["validation_loss"], let accuracy = trainer.epochMetrics["validation_accuracy"] {
                text += String(format: "  validation loss %.4f  acc %.1f%%", loss, accuracy * 100)
            }
            text += String(format: "  (%.1f s, %.0f samples/s)", epoch.seconds, epoch.samplesPerSecond)
            let lineEvery = max(1, totalEpochs / 25)  // about 25 epoch lines per run
            if (epoch.epoch + 1) % lineEvery == 0 || epoch.epoch == 0 || epoch.epoch + 1 == totalEpochs { reporter.line(text) }
        default:
            break
        }
    }
}
