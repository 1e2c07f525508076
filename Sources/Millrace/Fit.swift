import Distributed
import Foundation
import Reports
import Training

/// One call that trains: everything `millrace train` does (which is a user of this type) for a
/// model described in code or in a pipeline file: progress lines, validation, checkpoints with
/// rotation, `metrics.jsonl`, TensorBoard events, early stopping, exact resume and the HTML
/// report.
///
///     let fit = Fit(
///         model: [.dense(units: 64), .relu, .dense()],
///         data: .images("datasets/digits/train", validationSplit: 0.2),
///         optimizer: .adam(learningRate: 0.001), epochs: 10, runDirectory: "runs/digits",
///         earlyStopping: RunConfiguration.EarlyStopping { $0.patience = 2 })
///     let result = try fit.run()
///
/// The model is a list of registered layer types, as in a pipeline file: shapes are inferred
/// from the data, the last dense layer is as wide as the classes, the initial weights come
/// from the seed, and checkpoints describe the architecture, so `TrainedModel.load`,
/// `millrace evaluate` and `millrace predict` load them (a custom layer needs its
/// `LayerRegistry.register` call in that program too).
public struct Fit {
    /// Where training starts.
    public enum Start: Sendable {
        /// From the newest good checkpoint in the checkpoint directory, or from the beginning
        /// when there is none (Lightning's `ckpt_path="last"`).
        case latest
        /// From the beginning; a checkpoint directory that already holds checkpoints is refused.
        case beginning
        /// From the beginning, after moving earlier checkpoints aside (never deleted).
        case over
    }

    /// What the run trains and how (the pipeline file's content).
    public var configuration: RunConfiguration
    /// The run's directories, resume and other command-line settings.
    public var overrides: TrainingOverrides
    /// The name errors give the configuration (the pipeline file's path).
    public var path: String
    /// The ranks of a data-parallel run (one process: `SingleProcess`).
    public var communicator: any Communicator
    /// Callbacks of the caller's own, run on every rank after validation and early stopping and
    /// before checkpointing; their state is saved in checkpoints when they are `StatefulCallback`s.
    public var callbacks: [any TrainingCallback]
    /// A way to stop the run after a checkpoint (nil: none; `StopRequest.onStoppingSignals()`
    /// makes Ctrl-C and SIGTERM do it, as in `millrace train`).
    public var stop: StopRequest?
    /// Where progress lines go (standard error by default; `.quiet` prints nothing).
    public var reporter: ProgressReporter
    /// Whether the last lines (epochs, steps, speed, loss, accuracy, best checkpoint) are printed.
    public var announcesResult = true
    /// Whether `report.html` is written into the run directory at the end.
    public var writesReport = true
    /// A model built in code, trained as it is, weights too (nil: the configuration's layers).
    /// Its layers must be built-in or registered with a description
    /// (`LayerRegistry.register(_:_:describing:)`) so that checkpoints describe it.
    public var model: Sequential?

    /// A run of a configuration (a pipeline file's content, read with `RunConfiguration.load`).
    public init(
        configuration: RunConfiguration, overrides: TrainingOverrides = TrainingOverrides(), path: String = "pipeline",
        communicator: any Communicator = SingleProcess(), callbacks: [any TrainingCallback] = [], stop: StopRequest? = nil,
        reporter: ProgressReporter = ProgressReporter(isTerminal: ProgressReporter.standardErrorIsTerminal)
    ) {
        self.configuration = configuration
        self.overrides = overrides
        self.path = path
        self.communicator = communicator
        self.callbacks = callbacks
        self.stop = stop
        self.reporter = reporter
    }

    /// A run of a model described in code (see the type's example). `runDirectory` holds
    /// `metrics.jsonl`, TensorBoard events, the report and (unless `checkpoint` names another
    /// directory) `checkpoints/`.
    public init(
        model: [RunConfiguration.LayerEntry], data: RunConfiguration.Dataset, loss: String = "cross-entropy",
        optimizer: RunConfiguration.Optimizer = .sgd(learningRate: 0.01), epochs: Int = 1, batchSize: Int = 32, seed: UInt64 = 0,
        runDirectory: String, checkpoint: RunConfiguration.Checkpoint? = nil, earlyStopping: RunConfiguration.EarlyStopping? = nil,
        callbacks: [any TrainingCallback] = [], start: Start = .latest, stop: StopRequest? = nil
    ) {
        var configuration = RunConfiguration()
        configuration.name = URL(fileURLWithPath: runDirectory).lastPathComponent
        configuration.dataset = data
        configuration.model.layers = model
        configuration.loss = loss
        configuration.optimizer = optimizer
        configuration.epochs = epochs
        configuration.pipeline.batchSize = batchSize
        configuration.seed = seed
        configuration.checkpoint = checkpoint
        configuration.earlyStopping = earlyStopping
        var overrides = TrainingOverrides()
        overrides.runDirectory = runDirectory
        overrides.resume = start == .latest
        overrides.restart = start == .over
        overrides.advice = .code
        self.init(configuration: configuration, overrides: overrides, path: "the Fit configuration", callbacks: callbacks, stop: stop)
    }

    /// A run of a model built in code from layer instances (`Sequential([Dense(...), ReLU(),
    /// ...])`), with its own initial weights; otherwise as the layer-entry form. The data's
    /// sample shape and class count must fit it.
    public init(
        model: Sequential, data: RunConfiguration.Dataset, loss: String = "cross-entropy",
        optimizer: RunConfiguration.Optimizer = .sgd(learningRate: 0.01), epochs: Int = 1, batchSize: Int = 32, seed: UInt64 = 0,
        runDirectory: String, checkpoint: RunConfiguration.Checkpoint? = nil, earlyStopping: RunConfiguration.EarlyStopping? = nil,
        callbacks: [any TrainingCallback] = [], start: Start = .latest, stop: StopRequest? = nil
    ) {
        self.init(
            model: [RunConfiguration.LayerEntry](), data: data, loss: loss, optimizer: optimizer, epochs: epochs, batchSize: batchSize, seed: seed,
            runDirectory: runDirectory, checkpoint: checkpoint, earlyStopping: earlyStopping, callbacks: callbacks, start: start, stop: stop)
        self.model = model
    }

    /// Trains until the last epoch, a callback's stop or a stop request, and returns what
    /// happened. Throws typed errors naming what is wrong (`RunConfigurationError` for the
    /// configuration and the data's fit with the model, `DataError` for bad input, ...).
    public func run() throws -> FitResult {
        let run = try TrainingRun(configuration: configuration, overrides: overrides, path: path, communicator: communicator, model: model)
        let names = run.data.classNames
        // A regression's or multi-label run's "class names" are its target columns.
        let targets = configuration.targetKind == .multiLabel ? "label" : "target"
        let outputs =
            configuration.dataset.isRegression
            ? "\(names.count) \(targets)\(names.count == 1 ? "" : "s") (\(names.joined(separator: ", ")))" : "\(names.count) classes"
        reporter.line(
            "training \(configuration.name): \(run.data.training.count) samples, \(outputs), "
                + "\(run.model.parameterCount) parameters; logs in \(run.runDirectory)"
                + (communicator.rankCount > 1 ? "; \(communicator.rankCount) ranks" : ""))
        let summary = try run.run(reporter: reporter, stop: stop, callbacks: callbacks)
        if summary.interrupted {
            reporter.line(Fit.interruption(summary, stop: stop, store: run.store.directory, resume: overrides.advice.resume))
        } else if let reason = summary.stopReason {
            // A callback's stop (early stopping) is a clean end.
            reporter.line("\(reason); last checkpoint \(summary.checkpoint ?? run.store.directory)")
        }
        let report = writesReport && communicator.rank == 0 ? writeReport(run) : nil
        if announcesResult { announce(summary, report: report) }
        return FitResult(
            summary: summary, report: report, runDirectory: run.runDirectory, checkpointDirectory: run.store.directory,
            memoryEstimate: run.memoryEstimate, classNames: run.data.classNames)
    }

    /// Writes `report.html` into the run directory; a failure is a warning, never the run's failure.
    private func writeReport(_ run: TrainingRun) -> String? {
        let path = "\(run.runDirectory)/report.html"
        do {
            let report = try RunReport.load(
                runDirectory: run.runDirectory, checkpointDirectory: run.store.directory, threads: run.configuration.pipeline.threads ?? 2)
            try report.write(to: path)
            return path
        } catch {
            reporter.line("warning: could not write the run report \(path): \(error)")
            return nil
        }
    }

    private func announce(_ summary: RunSummary, report: String?) {
        var text =
            String(
                format: "done: %d epochs, %d steps in %.1f s (%.0f samples/s, data wait %.1f%%); ", summary.epochs, summary.steps,
                summary.seconds, summary.samplesPerSecond, summary.dataWaitShare * 100) + Fit.lossText(summary)
        if let final = summary.finalValidationAccuracy, let best = summary.bestValidationAccuracy {
            text += String(format: "; validation accuracy %.2f%% (best %.2f%%)", final * 100, best * 100)
        }
        reporter.line(text)
        if let best = summary.bestCheckpoint { reporter.line("best checkpoint: \(best)") }
        if let report { reporter.line("report: \(report)") }
    }

    /// The line that says what a stop did: a checkpoint of the last step taken, or (stopped
    /// before this invocation's first step) nothing saved, and where a resume would go on.
    static func interruption(_ summary: RunSummary, stop: StopRequest?, store: String, resume: String) -> String {
        let cause = stop?.reason.flatMap { $0 > 0 ? " by \(StopRequest.signalName($0))" : nil } ?? ""
        guard summary.stepsTaken > 0 else {
            let earlier = summary.checkpoint.map { "; \(resume) continues from \($0)" } ?? "; the next run starts from the beginning"
            return "stopped\(cause) before the first step; nothing to save\(earlier)"
        }
        return "interrupted\(cause): checkpoint saved in \(summary.checkpoint ?? store); continue with \(resume)"
    }

    /// `final loss L`, the mean of the steps a stop cut short, or that no step was taken.
    static func lossText(_ summary: RunSummary) -> String {
        guard let loss = summary.finalLoss else { return "no step taken, so no loss to report" }
        guard let steps = summary.stoppedEpochSteps else { return String(format: "final loss %.4f", loss) }
        return String(format: "loss %.4f (mean of the %d step(s) of epoch %d before the stop)", loss, steps, summary.epochs + 1)
    }
}
