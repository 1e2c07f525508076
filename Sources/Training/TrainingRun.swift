import Checkpoints
import DataPipeline
import Dispatch
import Distributed
import Foundation
import ImageFormats
import Layers
import Optimizers
import SystemIO
import Tensors

/// A whole training run assembled from a configuration: the data, the model, the loss, the
/// optimizer and schedule, and the callbacks (validation, checkpoints, metrics.jsonl, TensorBoard,
/// progress) around the one `Trainer` loop. It only assembles; the loop trains.
public final class TrainingRun {
    /// The configuration after overrides.
    public let configuration: RunConfiguration
    /// The data.
    public let data: TrainingData
    /// The model.
    public let model: Sequential
    /// The loss.
    public let loss: LabelLoss
    /// The run directory.
    public let runDirectory: String
    /// The checkpoint store.
    public let store: CheckpointStore
    /// The ranks of a data-parallel run (one: a plain run).
    public let communicator: any Communicator
    /// The estimated peak memory (checked against the memory available when the run is assembled).
    public let memoryEstimate: MemoryEstimate
    /// Where `restart` moved an earlier run's checkpoints, if it moved any.
    public let movedAside: String?
    let overrides: TrainingOverrides
    /// The locks on the run and checkpoint directories (rank 0 only), held while the run lives.
    private let locks: HeldLocks
    private let optimizer: any Optimizer
    private let schedule: (any LearningRateSchedule)?
    /// The recipes' callbacks (gradient clipping), run first on every rank.
    private let recipeCallbacks: [any TrainingCallback]

    /// Builds everything the run needs (reading the data's listing or index, not its samples).
    /// `model`: a model built in code, trained as it is (its weights too); the configuration's
    /// layers are then its description (`ModelDescription`), which checkpoints save.
    public init(
        configuration base: RunConfiguration, overrides: TrainingOverrides = TrainingOverrides(), path: String = "pipeline",
        communicator: any Communicator = SingleProcess(), model code: Sequential? = nil
    ) throws {
        var configuration = base.applying(overrides)
        self.overrides = overrides
        self.communicator = communicator
        ComputeThreads.maximum = configuration.pipeline.threads ?? ComputeThreads.processorCount
        runDirectory = overrides.runDirectory ?? configuration.logging?.runDirectory ?? "runs/\(configuration.name)"
        let checkpointDirectory = overrides.checkpointDirectory ?? configuration.checkpoint?.directory ?? "\(runDirectory)/checkpoints"
        let cacheDirectory = overrides.cacheDirectory ?? "\(runDirectory)/cache"
        try TrainingRun.checkPlacement(
            runDirectory: runDirectory, checkpointDirectory: checkpointDirectory, cacheDirectory: cacheDirectory,
            location: TrainingRun.location(configuration), advice: overrides.advice)
        // Before anything is staged or swept: a second run on these folders is refused here.
        locks = try TrainingRun.claim(
            runDirectory: runDirectory, checkpointDirectory: checkpointDirectory, overrides: overrides, isFirstRank: communicator.rank == 0)
        var options = TrainingData.ReadOptions()
        options.seed = configuration.seed
        options.threads = configuration.pipeline.threads ?? ComputeThreads.processorCount
        options.cacheDirectory = cacheDirectory
        // Each rank stages into a directory of its own: stagers sharing one delete each other's
        // shards and temporary files (a shard read or renamed after another rank removed it fails).
        if communicator.rankCount > 1 { options.cacheDirectory += "/rank-\(communicator.rank)" }
        options.cacheBudget = overrides.cacheBudget ?? 1 << 30
        if let stallTimeout = overrides.stallTimeout { options.stallTimeout = stallTimeout }
        if let fraction = configuration.pipeline.skipBadFraction { options.badInput = .skip(maximumFraction: fraction) }
        data = try TrainingData.open(TrainingRun.location(configuration), preprocessing: TrainingRun.preprocessing(configuration), options: options)
        let summary = DataSummary(data, validationPath: configuration.dataset.validationPath)
        if let code {
            configuration.model.layers = try ModelDescription.entries(of: code)
            try ModelDescription.checkInput(of: code, sampleShape: summary.sampleShape)
        }
        self.configuration = configuration
        // The model built to check the shapes is the model trained (built once: same seed, same
        // weights), unless one was built in code: then it is what its description builds, which
        // must match it tensor for tensor (so that its checkpoints load).
        let assembled = try configuration.validate(against: summary, path: path, memoryLimit: overrides.memoryLimit).model
        if let code { try ModelDescription.check(code, against: assembled) }
        model = code ?? assembled
        memoryEstimate = try TrainingRun.checkMemory(configuration, model: model, data: data, limit: overrides.memoryLimit, path: path)
        loss = try configuration.makeLoss(path: path)
        optimizer = try configuration.makeOptimizer(for: model, path: path)
        schedule = try configuration.makeSchedule(batchesPerEpoch: TrainingRun.batchesPerEpoch(configuration, count: data.training.count), path: path)
        recipeCallbacks = try configuration.makeRecipeCallbacks(path: path)
        movedAside = try TrainingRun.moveEarlierCheckpointsAside(
            checkpointDirectory: checkpointDirectory, overrides: overrides, isFirstRank: communicator.rank == 0)
        store = try CheckpointStore(directory: checkpointDirectory, retention: configuration.retentionPolicy(hasValidation: data.validation != nil))
    }

    /// Where the configuration's data is.
    package static func location(_ configuration: RunConfiguration) -> TrainingData.Location {
        let dataset = configuration.dataset
        // Packed data is recognised by its path whatever the kind says (a pipeline for images can
        // train on the same images packed).
        let kind = dataset.path.map { DataKind.of(path: $0) == .packed ? .packed : dataset.kind } ?? dataset.kind
        return TrainingData.Location(kind: kind, path: dataset.path, validationPath: dataset.validationPath, validationSplit: dataset.validationSplit)
    }

    /// The preprocessing the configuration asks for. A `normalize` augmentation (only the first
    /// in the list may be one) is preprocessing: it applies in validation, evaluation and
    /// prediction too.
    static func preprocessing(_ configuration: RunConfiguration) -> Preprocessing {
        let dataset = configuration.dataset
        let normalize = configuration.pipeline.augmentations?.first?.normalize
        var preprocessing = Preprocessing(
            channels: dataset.channelMode, size: dataset.size, sizing: dataset.imageSizing,
            normalization: normalize.map { Normalization(mean: $0.mean, standardDeviation: $0.std) },
            labelColumn: dataset.labelColumn, ignoredColumns: dataset.ignoreColumns, textLabels: dataset.labels == .text)
        preprocessing.readTables(as: dataset)
        preprocessing.targetColumns = dataset.targetColumns
        if dataset.imageOrientation == .apply { preprocessing.exifOrientation = .apply }
        preprocessing.normalizesTargets = dataset.normalizeTargets
        // Set for multi-label only: a regression's preprocessing stays as it was.
        if configuration.targetKind == .multiLabel { preprocessing.targetKind = .multiLabel }
        return preprocessing
    }

    /// The warning for samples left out under skip_bad_fraction: how many, of which data, and
    /// the first five reasons (each naming its file and position).
    static func leftOut(_ reasons: [String], of kind: String) -> String {
        var text = "left out \(reasons.count) \(kind) sample(s) that could not be read (skip_bad_fraction):"
        for reason in reasons.prefix(5) { text += "\n  \(reason)" }
        if reasons.count > 5 { text += "\n  ... and \(reasons.count - 5) more" }
        return text
    }

    /// The random augmentations (training only; a leading normalisation is preprocessing).
    static func augmentations(_ configuration: RunConfiguration) -> [SampleTransform] {
        configuration.pipeline.sampleTransforms.filter(\.isRandom)
    }

    static func batchesPerEpoch(_ configuration: RunConfiguration, count: Int) -> Int {
        let size = batchSize(configuration, count: count)
        return (count + size - 1) / size
    }

    /// Samples per batch: the configured size, or (0) the whole set of `count` samples.
    static func batchSize(_ configuration: RunConfiguration, count: Int) -> Int {
        configuration.pipeline.batchSize == 0 ? max(count, 1) : configuration.pipeline.batchSize
    }

    /// The pipeline's settings.
    func pipelineConfiguration() -> PipelineConfiguration {
        var pipeline = PipelineConfiguration()
        pipeline.batchSize = TrainingRun.batchSize(configuration, count: data.training.count)
        pipeline.shuffle = configuration.pipeline.shuffle ?? true
        pipeline.order = configuration.pipeline.sampleOrder
        pipeline.threads = configuration.pipeline.threads ?? ComputeThreads.processorCount
        pipeline.prefetchDepth = configuration.pipeline.prefetch ?? 4
        // Unless the file sets it, the shuffle window fits the staging budget (two windows and one shard ahead).
        let capacity = data.training.chunkCapacity ?? Int.max
        pipeline.windowChunks = configuration.pipeline.windowChunks ?? max(1, min(4, (capacity - 1) / 2))
        pipeline.epochs = configuration.epochs
        pipeline.seed = configuration.seed
        pipeline.waitTimeout = 600
        if let fraction = configuration.pipeline.skipBadFraction { pipeline.badInput = .skip(maximumFraction: fraction) }
        return pipeline
    }

    /// Trains until the last epoch ends or `interrupted()` returns true after a step, or `stop`
    /// is requested (also while the data source stalls, in a plain run); a checkpoint of the last
    /// step taken is saved first. `callbacks` run on every rank after validation and early
    /// stopping, before the checkpoint callback (so a checkpoint holds their state of that step).
    public func run(
        reporter: ProgressReporter, interrupted: @escaping () -> Bool = { false }, stop: StopRequest? = nil,
        callbacks extra: [any TrainingCallback] = []
    ) throws -> RunSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        let isFirstRank = communicator.rank == 0  // rank 0 alone writes files and prints
        var savedChunk: Int?
        var pipelineState: PipelineState?
        var step = 0
        var best: Double?
        var resumedFrom: LoadedCheckpoint?
        if let movedAside { reporter.line("moved the earlier run's checkpoints to \(movedAside); training from the beginning") }
        if overrides.resume, let checkpoint = try resumableCheckpoint(reporter: reporter) {
            let notes = try ResumeCompatibility.check(
                saved: checkpoint.manifest.configuration, current: configuration.jsonText(), checkpoint: checkpoint.path,
                advice: overrides.advice)
            let manifest = try TrainingCheckpoint.restore(checkpoint, model: model, optimizer: optimizer)
            pipelineState = try TrainingCheckpoint.pipelineState(of: manifest, path: checkpoint.path)
            step = manifest.step
            best = manifest.metrics["best_validation_accuracy"]
            savedChunk = manifest.hyperparameters[DataParallel.chunkKey].flatMap { Int($0) }
            resumedFrom = checkpoint
            reporter.line("resuming from \(checkpoint.path) (step \(step), epoch \(manifest.epoch + 1))")
            for note in notes { reporter.line(note) }
        }
        for problem in store.problems { reporter.line("skipped a damaged checkpoint: \(problem)") }
        // After the resume checks: a refused resume leaves the run's configuration as it was.
        if isFirstRank {
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            try AtomicFile.write(Array(configuration.jsonText().utf8), to: "\(runDirectory)/configuration.json", what: "the run's configuration")
        }
        var pipelineConfiguration = pipelineConfiguration()
        let chunk = DataParallel.chunkSize(
            requested: overrides.gradientChunk, saved: savedChunk, batchSize: pipelineConfiguration.batchSize)
        if communicator.rankCount > 1 {
            pipelineConfiguration.slicing = BatchSlicing(chunkSize: chunk, rank: communicator.rank, rankCount: communicator.rankCount)
        }
        let pipeline = try BatchPipeline(
            source: data.training, configuration: pipelineConfiguration,
            transforms: TrainingRun.augmentations(configuration), resumingFrom: pipelineState)
        // Rank 0 reports through the reporter; another rank's warning (a bad sample it left out) is
        // its own line on standard error, named like its errors.
        let rankName = "rank \(communicator.rank) of \(communicator.rankCount)"
        let otherRankWarns = !isFirstRank && !overrides.quiet
        let warn = { (message: String) in
            if isFirstRank {
                reporter.line("warning: \(message)")
            } else if otherRankWarns {
                StandardStreams.write("\(rankName): warning: \(TerminalText.escaped(message, keepingNewlines: true))\n")
            }
        }
        pipeline.onWarning = warn
        for note in data.notes { warn(note) }
        // Rows a CSV reader left out while it read the file (skip_bad_fraction) are named now.
        if !data.quarantined.isEmpty {
            warn(
                TrainingRun.leftOut(
                    data.quarantined.map { $0.reason.hasPrefix($0.origin) ? $0.reason : "\($0.origin): \($0.reason)" }, of: "training"))
        }
        let threads = pipelineConfiguration.threads
        let validation = data.validation.map {
            ValidationCallback(
                source: $0, classNames: data.classNames, threads: threads, bestAccuracy: best, badInput: pipelineConfiguration.badInput)
        }
        let checkpoints = CheckpointCallback(
            store: store, everyEpochs: configuration.checkpoint?.everyEpochs ?? 1, totalEpochs: configuration.epochs,
            everySteps: overrides.checkpointEvery ?? configuration.checkpoint?.everySteps, preprocessing: data.preprocessing,
            configuration: configuration.jsonText(),
            hyperparameters: [
                "batch_size": "\(pipelineConfiguration.batchSize)", "class_names": TrainedModel.encodeClassNames(data.classNames),
                "sample_shape": data.sampleShape.map(String.init).joined(separator: ","),
                DataParallel.chunkKey: "\(chunk)",
            ],
            validation: validation)
        let logEvery = configuration.logging?.everySteps ?? max(1, pipeline.batchesPerEpoch / 4)
        // The recipes' callbacks (gradient clipping) first: every other callback sees the clipped gradients.
        var callbacks = recipeCallbacks
        if let validation { callbacks.append(validation) }
        // On every rank: its figures are global, so all ranks stop at the same step.
        if let settings = configuration.earlyStopping { callbacks.append(EarlyStopping(settings)) }
        callbacks += extra
        if isFirstRank {
            callbacks += [
                checkpoints,
                try MetricsLogCallback(path: "\(runDirectory)/metrics.jsonl", everySteps: logEvery),
                try TensorBoardCallback(directory: "\(runDirectory)/tensorboard", everySteps: logEvery),
                ProgressCallback(reporter: reporter, totalEpochs: configuration.epochs, printLossEvery: configuration.logging?.printLossEvery),
            ]
        }
        let trainer = Trainer(
            model: model, loss: loss, optimizer: optimizer, schedule: schedule, seed: configuration.seed, stepCount: step,
            callbacks: callbacks)
        trainer.chunkSize = chunk
        trainer.regression = data.preprocessing.regressionTargets
        if let resumedFrom { try TrainingCheckpoint.restoreStates(of: trainer, from: resumedFrom.manifest, path: resumedFrom.path) }
        trainer.exchange =
            overrides.allReduce
            ? AllReduceGradientExchange(communicator: communicator)
            : OrderedGradientExchange(communicator: communicator, overlaps: overrides.overlapExchange)
        // A stop request wakes a wait for data that may never end (one process only: ranks
        // agree to stop after a step, and a rank that left its wait alone would hang the others).
        if let stop, communicator.rankCount == 1 { stop.whenRequested { [pipeline = UncheckedSendable(pipeline)] in pipeline.value.interruptWait() } }
        // A stop that came before this point was refused as "nothing to save": take no step.
        let armed = stop?.arm() ?? true
        let shouldStop = stop.map { stop in { interrupted() || stop.isRequested } } ?? interrupted
        let summary: TrainingSummary
        do {
            defer {
                pipeline.cancel()
                // After a stop request the process ends next: a download stalled on a dead server
                // is not waited for (the stager waits up to a minute for one to end).
                if stop?.isRequested != true { data.stager?.stop() }
            }
            summary =
                armed
                ? try trainer.fit(pipeline, shouldStop: shouldStop)
                : TrainingSummary(
                    steps: 0, totalSteps: step, samples: 0, epochLosses: [], epochsCompleted: pipeline.state.epoch, seconds: 0,
                    dataWaitFraction: 0, pipelineState: pipeline.state, interrupted: true)
        } catch var divergence as DivergenceError {
            divergence.advice = overrides.advice  // its fix in the caller's words
            throw divergence
        }
        // Samples left out under skip_bad_fraction are never silent: each rank names those it met.
        for (kind, leftOut) in [("training", pipeline.quarantine.entries.map(\.reason)), ("validation", validation?.latest?.leftOut ?? [])]
        where !leftOut.isEmpty {
            warn(TrainingRun.leftOut(leftOut, of: kind))
        }
        try store.waitUntilSaved()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let saved = store.checkpoints()
        let bestName =
            (trainer.regression == nil
            ? TrainingCheckpoint.highestValidationAccuracy(among: saved) : TrainingCheckpoint.lowestValidationLoss(among: saved))?.name
        var result = RunSummary(
            finalLoss: summary.unfinishedEpochLoss ?? summary.epochLosses.last,
            stoppedEpochSteps: summary.unfinishedEpochLoss == nil ? nil : summary.unfinishedEpochSteps,
            finalValidationAccuracy: trainer.regression?.kind == .regression ? nil : validation?.latest?.accuracy,
            bestValidationAccuracy: validation?.bestAccuracy, steps: summary.totalSteps, stepsTaken: summary.steps,
            epochs: summary.epochsCompleted,
            samplesPerSecond: Double(summary.samples) / max(seconds, 1e-9),
            checkpoint: saved.last.map { "\(store.directory)/\($0.name)" },
            bestCheckpoint: bestName.map { "\(store.directory)/\($0)" }, seconds: seconds,
            dataWaitShare: summary.dataWaitFraction, interrupted: summary.interrupted, stopReason: summary.stopReason, ranks: communicator.rankCount,
            gradientChunk: chunk,
            communicationWaitShare: (trainer.exchange.communicationSeconds + trainer.coordinationSeconds) / max(trainer.stepSeconds, 1e-9),
            stepMilliseconds: trainer.stepSeconds * 1000 / Double(max(summary.steps, 1)),
            exchangeMilliseconds: trainer.exchange.communicationSeconds * 1000 / Double(max(summary.steps, 1)),
            exchangeBytesPerStep: trainer.exchange.bytesSent / max(summary.steps, 1))
        if trainer.regression != nil, let latest = validation?.latest {
            result.finalValidationLoss = latest.loss
            result.finalValidationRmse = latest.regression?.rmse
            result.finalValidationMae = latest.regression?.mae
            result.finalValidationR2 = latest.regression?.r2
            result.finalValidationExactMatch = latest.multiLabel?.exactMatch
            result.finalValidationF1 = latest.multiLabel?.f1
        }
        return result
    }
}
