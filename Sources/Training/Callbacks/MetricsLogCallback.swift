import Foundation
import SystemIO

/// Writes `metrics.jsonl`: one JSON object every `everySteps` steps (`"kind": "step"`) and one per
/// epoch (`"kind": "epoch"`, with the epoch metrics other callbacks added, such as validation).
/// A regression's records have `rmse` and `mae` (epochs also `r2`) where a classifier's have
/// `accuracy`; a multi-label run's have `accuracy` (the share of labels right), `exact_match` and `f1`.
public final class MetricsLogCallback: TrainingCallback {
    private let log: MetricsLog
    /// Log a step line every this many steps.
    public let everySteps: Int

    /// Appends to `path`.
    public init(path: String, everySteps: Int) throws {
        log = try MetricsLog(path: path)
        self.everySteps = max(1, everySteps)
    }

    /// Writes step and epoch records.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .stepEnded(let step) where step.step % everySteps == 0:
            var record: [String: Any] = [
                "kind": "step", "step": step.step, "epoch": step.epoch, "loss": Double(step.loss), "learning_rate": Double(step.learningRate),
                "samples_per_second": Double(step.epochSamples) / max(step.epochSeconds, 1e-9), "data_wait": step.dataWaitFraction,
            ]
            if trainer.regression != nil {
                // A regression's step: the RMSE and MAE of its batch (in the targets' units), no accuracy.
                if let sums = trainer.lastStepRegression {
                    record["rmse"] = sums.rootMeanSquaredError
                    record["mae"] = sums.meanAbsoluteError
                }
                // A multi-label step: its batch's accuracy (of labels), exact-match ratio and micro-F1.
                if let sums = trainer.lastStepMultiLabel {
                    for (key, value) in sums.metrics() { record[key] = value }
                }
            } else {
                record["accuracy"] = Double(step.correct) / Double(max(step.samples, 1))
            }
            log.append(record)
        case .epochEnded(let epoch):
            var record: [String: Any] = [
                "kind": "epoch", "step": epoch.step, "epoch": epoch.epoch, "learning_rate": Double(epoch.learningRate),
                "samples_per_second": epoch.samplesPerSecond, "data_wait": epoch.dataWaitFraction,
            ]
            for (key, value) in trainer.epochMetrics { record[key] = value }
            log.append(record)
        default:
            break
        }
    }
}

/// `metrics.jsonl`: one JSON object per logged step and per epoch.
public final class MetricsLog {
    private let handle: FileHandle
    /// The log's path, for the warning.
    private let path: String
    /// The records that could not be written (the first one is said on standard error).
    public private(set) var droppedRecords = 0

    /// Opens (appending to) `path`. Something other than a regular file there (a FIFO, whose
    /// opening would wait for a reader, a device, a folder) is refused, naming it.
    public init(path: String) throws {
        var status = stat()
        if stat(path, &status) == 0, let kind = FileBytes.nonRegularKind(status.st_mode) {
            throw DataError(
                .unwritable, path: path, reason: "\(kind) is where the run's metrics log belongs",
                fix: "move it away, or give another --run-dir")
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.path = path
        handle.seekToEndOfFile()
    }

    deinit {
        try? handle.close()
    }

    /// Appends one record. A failed write (a full disk) loses the whole line (never half of one),
    /// never the run; the first failure is said once on standard error.
    public func append(_ record: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        let end = try? handle.offset()
        do {
            // The throwing write: FileHandle's non-throwing one traps on a full disk.
            try handle.write(contentsOf: data + Data("\n".utf8))
        } catch {
            // No half line: what was written of this record goes again.
            if let end { try? handle.truncate(atOffset: end) }
            droppedRecords += 1
            guard droppedRecords == 1 else { return }
            StandardStreams.write(
                "warning: \(TerminalText.escaped(path)): a metrics line could not be written (\(TerminalText.escaped(error.localizedDescription)));"
                    + " the run goes on, later lines may be missing: free space on that disk\n")
        }
    }
}
