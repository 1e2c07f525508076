import Checkpoints
import DataPipeline
import Foundation
import SystemIO
import Training

/// A run directory summarised as one self-contained HTML page (`millrace report`, and the end of
/// every `millrace train`): loss, accuracy (a regression: RMSE, MAE and R²; multi-label: also
/// the exact-match ratio and F1), learning rate, throughput and data wait over the steps (from
/// `metrics.jsonl`), the best checkpoint evaluated again on the validation data (confusion matrix
/// and per-class precision and recall; a regression: a predicted-vs-true scatter and the figures
/// per target; multi-label: each label's precision, recall and F1), the configuration and the
/// checkpoints kept. Inline SVG and CSS only: no scripts, fonts or anything else fetched, so it
/// opens offline and prints.
public struct RunReport {
    /// The run directory.
    public var runDirectory: String
    /// The checkpoint directory.
    public var checkpointDirectory: String
    /// The configuration the run saved (`configuration.json`), if readable.
    public var configuration: RunConfiguration?
    /// The saved configuration's text, shown as it is.
    public var configurationText: String?
    /// What `metrics.jsonl` holds.
    public var history: RunHistory
    /// The checkpoints kept, oldest first.
    public var checkpoints: [CheckpointSummary]
    /// The best checkpoint's name (by validation accuracy, a regression's or multi-label run's by
    /// the lowest validation loss, else the lowest training loss).
    public var bestCheckpoint: String?
    /// The best checkpoint evaluated on the validation data.
    public var evaluation: Evaluation?
    /// A regression's validation samples, one entry per target column, in sample order (empty
    /// for a classifier): the points of the predicted-vs-true scatter.
    public var predictions: [TargetPredictions] = []
    /// What the evaluation was run on, or why there is none.
    public var evaluationNote: String

    /// Reads a run directory (`checkpoints` defaults to `<run>/checkpoints`) and evaluates its best
    /// checkpoint on the validation data: a separate validation path as saved, or a
    /// `validation_split` rebuilt exactly as training split it (`TrainingData.open` with the saved
    /// configuration's seed and the checkpoint's preprocessing). A missing or unreadable part
    /// leaves its section empty with a note; only an unreadable run directory is an error.
    public static func load(runDirectory: String, checkpointDirectory: String? = nil, threads: Int = 2) throws -> RunReport {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isFolder), isFolder.boolValue else {
            throw CheckpointError(
                .notFound, path: runDirectory,
                reason: isFolder.boolValue || !FileManager.default.fileExists(atPath: runDirectory)
                    ? PathProblem.brokenLink(runDirectory) ?? "no such run directory" : "a file, not a run directory",
                fix: "give the folder millrace train wrote (runs/<name>, holding metrics.jsonl and configuration.json)")
        }
        let text = try RunHistory.contents(of: "\(runDirectory)/configuration.json").map { String(decoding: $0, as: UTF8.self) }
        let configuration = text.flatMap { try? RunConfiguration.decode(Data($0.utf8), path: "\(runDirectory)/configuration.json") }
        let directory = checkpointDirectory ?? configuration?.checkpoint?.directory ?? "\(runDirectory)/checkpoints"
        // A missing directory makes the read-only store throw `notFound`: no checkpoints (the note says so below).
        let store = try? CheckpointStore(directory: directory, mode: .readOnly)
        let checkpoints = store?.checkpoints() ?? []
        let metrics = try RunHistory.contents(of: "\(runDirectory)/metrics.jsonl")
        // Nothing millrace train writes: a report would describe nothing (and land in a folder that is no run's).
        guard metrics != nil || text != nil || !(store?.stepFolders().isEmpty ?? true) else {
            throw CheckpointError(
                .notFound, path: runDirectory, reason: "not a run folder: it holds no metrics.jsonl, no configuration.json and no checkpoints",
                fix: "give the folder millrace train wrote (runs/<name>, holding metrics.jsonl, configuration.json and checkpoints/)")
        }
        let lowestLoss = checkpoints.min { ($0.metrics["loss"] ?? .infinity, -$0.step) < ($1.metrics["loss"] ?? .infinity, -$1.step) }
        let best =
            if configuration?.dataset.isRegression == true {
                TrainingCheckpoint.lowestValidationLoss(among: checkpoints) ?? lowestLoss
            } else if checkpoints.contains(where: { $0.metrics["validation_accuracy"] != nil }) {
                TrainingCheckpoint.highestValidationAccuracy(among: checkpoints)
            } else {
                lowestLoss
            }
        var report = RunReport(
            runDirectory: runDirectory, checkpointDirectory: directory, configuration: configuration, configurationText: text,
            history: RunHistory.parse(Data(metrics ?? [])), checkpoints: checkpoints, bestCheckpoint: best?.name,
            evaluation: nil, evaluationNote: "")
        if let best {
            do {
                (report.evaluation, report.predictions, report.evaluationNote) = try evaluate(
                    checkpoint: "\(directory)/\(best.name)", configuration: configuration, threads: threads)
            } catch {
                report.evaluationNote = "The best checkpoint could not be evaluated: \(error)"
            }
        } else {
            report.evaluationNote = "No checkpoint was found in \(directory)."
        }
        return report
    }

    /// Evaluates a checkpoint on the run's validation data, saying what that data was; for a
    /// regression also each target's true and predicted values.
    static func evaluate(
        checkpoint: String, configuration saved: RunConfiguration?, threads: Int
    ) throws -> (Evaluation?, [TargetPredictions], String) {
        let trained = try TrainedModel.load(checkpoint)
        // The run directory's configuration holds the overrides (--data, --validation, --seed); a
        // checkpoint's copy is the same text, kept as the fallback.
        let configuration = saved ?? trained.configuration
        let location = TrainingRun.location(configuration)
        let source: DataSource
        let what: String
        if let path = location.validationPath {
            source = try TrainingData.source(path: path, preprocessing: trained.preprocessing)
            what = "the validation data \(path)"
        } else if let fraction = location.validationSplit, fraction > 0, location.kind == .imageFolder || location.kind == .csv {
            var options = TrainingData.ReadOptions()
            options.seed = configuration.seed
            options.threads = threads
            guard let validation = try TrainingData.open(location, preprocessing: trained.preprocessing, options: options).validation else {
                return (nil, [], "The run has no validation data.")
            }
            source = validation
            what =
                "the \(Int((fraction * 100).rounded()))% of \(location.path ?? "the data") held out for validation, split again as training split it (seed \(configuration.seed))"
        } else {
            return (nil, [], "The run has no validation data (no validation_path or validation_split), so the best checkpoint was not evaluated.")
        }
        let note = "Checkpoint \(URL(fileURLWithPath: checkpoint).lastPathComponent) evaluated on \(what)."
        if let regression = trained.regression, regression.kind == .multiLabel {
            // The per-label figures are the evaluation's own.
            let evaluation = try Evaluation.run(
                model: trained.model, source: source, loss: try trained.regressionLoss(), regression: regression, names: trained.classNames,
                threads: threads)
            return (evaluation, [], note)
        }
        if let regression = trained.regression {
            // The rows as `predict` reads them, through the model as `evaluate` runs it.
            var targets = (0..<regression.count).map {
                TargetPredictions(name: $0 < trained.classNames.count ? trained.classNames[$0] : "target \($0)")
            }
            let evaluation = try Evaluation.run(
                model: trained.model, source: source, loss: try trained.regressionLoss(), regression: regression, threads: threads
            ) { _, truth, predicted in
                for column in targets.indices {
                    targets[column].add(targets: truth, predictions: predicted, column: column, columns: targets.count)
                }
            }
            return (evaluation, targets, note)
        }
        let evaluation = try Evaluation.run(
            model: trained.model, source: source, loss: try trained.configuration.makeLoss(path: checkpoint), classNames: trained.classNames,
            threads: threads)
        return (evaluation, [], note)
    }

    /// Writes the page to `path` through a temporary file and a rename, so a half-written report
    /// never replaces a good one.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(html().utf8), to: path, what: "the report")
    }
}
