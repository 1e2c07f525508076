import Checkpoints
import DataPipeline
import Dispatch
import Foundation
import Layers
import Optimizers
import Tensors

/// Command-line overrides of a run's configuration.
public struct TrainingOverrides: Sendable {
    /// The training data.
    public var data: String?
    /// The validation data.
    public var validation: String?
    /// Epochs.
    public var epochs: Int?
    /// Batch size.
    public var batchSize: Int?
    /// Learning rate.
    public var learningRate: Float?
    /// Seed.
    public var seed: UInt64?
    /// Decode and compute threads.
    public var threads: Int?
    /// Checkpoint directory.
    public var checkpointDirectory: String?
    /// Checkpoint interval in steps.
    public var checkpointEvery: Int?
    /// Run directory.
    public var runDirectory: String?
    /// Continue from the newest good checkpoint.
    public var resume = false
    /// Where packed data is staged.
    public var cacheDirectory: String?
    /// The staging cache's disk budget in bytes.
    public var cacheBudget: Int?

    /// No overrides.
    public init() {}
}

/// What a finished (or interrupted) run reports; `--json` prints it.
public struct RunSummary: Codable, Sendable, Equatable {
    /// The last epoch's mean training loss.
    public var finalLoss: Double
    /// The last validation accuracy (nil without validation data).
    public var finalValidationAccuracy: Double?
    /// The best validation accuracy.
    public var bestValidationAccuracy: Double?
    /// Optimizer steps taken in all.
    public var steps: Int
    /// Epochs completed.
    public var epochs: Int
    /// Training throughput of this invocation.
    public var samplesPerSecond: Double
    /// The newest checkpoint's directory.
    public var checkpoint: String?
    /// The best checkpoint's directory.
    public var bestCheckpoint: String?
    /// Wall time of this invocation.
    public var seconds: Double
    /// The fraction of step time spent waiting for data.
    public var dataWaitShare: Double
    /// Whether the run stopped early on an interrupt (a checkpoint was saved).
    public var interrupted: Bool
}

/// A whole training run from a configuration: data, model, optimizer, epochs with validation,
/// checkpoints (and resume), metrics.jsonl, TensorBoard events and progress output.
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
    private let overrides: TrainingOverrides
    private let optimizer: any Optimizer
    private let schedule: (any LearningRateSchedule)?

    /// Builds everything the run needs (reading the data's listing, not its samples).
    public init(configuration base: RunConfiguration, overrides: TrainingOverrides = TrainingOverrides(), path: String = "pipeline") throws {
        let configuration = base.applying(overrides)
        self.overrides = overrides
        self.configuration = configuration
        ComputeThreads.maximum = configuration.pipeline.threads ?? ComputeThreads.processorCount
        let runDirectoryName = overrides.runDirectory ?? configuration.logging?.runDirectory ?? "runs/\(configuration.name)"
        data = try TrainingData.make(configuration.dataset, seed: configuration.seed,
                                     cache: (overrides.cacheDirectory ?? "\(runDirectoryName)/cache", overrides.cacheBudget ?? 1 << 30))
        try configuration.validate(against: DataSummary(data), path: path)
        model = try configuration.makeModel(for: DataSummary(data), path: path)
        loss = try configuration.makeLoss(path: path)
        optimizer = try configuration.makeOptimizer(path: path)
        schedule = configuration.makeSchedule(batchesPerEpoch: TrainingRun.batchesPerEpoch(configuration, count: data.training.count))
        runDirectory = overrides.runDirectory ?? configuration.logging?.runDirectory ?? "runs/\(configuration.name)"
        let checkpointDirectory = overrides.checkpointDirectory ?? configuration.checkpoint?.directory ?? "\(runDirectory)/checkpoints"
        store = try CheckpointStore(directory: checkpointDirectory, retention: configuration.retentionPolicy(hasValidation: data.validation != nil))
    }

    static func batchesPerEpoch(_ configuration: RunConfiguration, count: Int) -> Int {
        let size = configuration.pipeline.batchSize == 0 ? max(count, 1) : configuration.pipeline.batchSize
        return (count + size - 1) / size
    }

    /// Trains until the last epoch ends or `interrupted()` returns true after a step (then a
    /// checkpoint is saved first).
    public func run(reporter: ProgressReporter, interrupted: @escaping () -> Bool = { false }) throws -> RunSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        try configuration.jsonText().write(toFile: "\(runDirectory)/configuration.json", atomically: true, encoding: .utf8)
        let metrics = try MetricsLog(path: "\(runDirectory)/metrics.jsonl")
        let events = try TensorBoardWriter(directory: "\(runDirectory)/tensorboard")
        var pipelineState: PipelineState?
        var step = 0
        var best: Double?
        if overrides.resume, let checkpoint = try store.loadLatest() {
            let manifest = try TrainingCheckpoint.restore(checkpoint, model: model, optimizer: optimizer)
            pipelineState = manifest.pipelineState
            step = manifest.step
            best = manifest.metrics["best_validation_accuracy"]
            reporter.line("resuming from \(checkpoint.path) (step \(step), epoch \(manifest.epoch + 1))")
        }
        for problem in store.problems { reporter.line("skipped a damaged checkpoint: \(problem)") }
        var pipelineConfiguration = PipelineConfiguration()
        let count = data.training.count
        pipelineConfiguration.batchSize = configuration.pipeline.batchSize == 0 ? max(count, 1) : configuration.pipeline.batchSize
        pipelineConfiguration.shuffle = configuration.pipeline.shuffle ?? true
        pipelineConfiguration.threads = configuration.pipeline.threads ?? ComputeThreads.processorCount
        pipelineConfiguration.prefetchDepth = configuration.pipeline.prefetch ?? 4
        // Unless the file sets it, the shuffle window fits the staging budget (two windows and one shard ahead).
        let capacity = data.packed?.chunkCapacity ?? Int.max
        pipelineConfiguration.windowChunks = configuration.pipeline.windowChunks ?? max(1, min(4, (capacity - 1) / 2))
        pipelineConfiguration.epochs = configuration.epochs
        pipelineConfiguration.seed = configuration.seed
        pipelineConfiguration.waitTimeout = 600
        if let fraction = configuration.pipeline.skipBadFraction { pipelineConfiguration.badInput = .skip(maximumFraction: fraction) }
        let transforms: [SampleTransform] = (configuration.pipeline.augmentations ?? []).compactMap { augmentation in
            if let normalize = augmentation.normalize { return .normalize(mean: normalize.mean, standardDeviation: normalize.std) }
            if let flip = augmentation.flip { return .randomHorizontalFlip(probability: flip) }
            if let padding = augmentation.cropPadding { return .randomCrop(padding: padding) }
            return nil
        }
        let pipeline = try data.packed.map { try BatchPipeline(chunkedSource: $0, configuration: pipelineConfiguration, transforms: transforms, resumingFrom: pipelineState) }
            ?? BatchPipeline(source: data.training, configuration: pipelineConfiguration, transforms: transforms, resumingFrom: pipelineState)
        pipeline.onWarning = { reporter.line("warning: \($0)") }
        let batches = pipeline.batchesPerEpoch
        let everySteps = overrides.checkpointEvery ?? configuration.checkpoint?.everySteps
        let logEvery = configuration.logging?.everySteps ?? max(1, batches / 4)
        let printLossEvery = configuration.logging?.printLossEvery
        var epochLoss = 0.0, epochCorrect = 0, epochSamples = 0, epochBatches = 0
        var lastEpochLoss = Double.nan, lastValidation: Double?
        var epochsCompleted = pipelineState?.epoch ?? 0
        var samplesThisRun = 0
        var stopped = false
        var epochStarted = DispatchTime.now().uptimeNanoseconds
        let context = ForwardContext(isTraining: true)
        func save(_ batch: Batch, metrics values: [String: Double]) throws {
            var all = values
            if let best { all["best_validation_accuracy"] = best }
            try store.save(TrainingCheckpoint.contents(model: model, optimizer: optimizer, step: step, epoch: batch.stateAfter.epoch,
                                                       pipelineState: batch.stateAfter, metrics: all,
                                                       hyperparameters: ["learning_rate": "\(optimizer.learningRate)", "batch_size": "\(pipelineConfiguration.batchSize)",
                                                                         "class_names": TrainedModel.encodeClassNames(data.classNames),
                                                                         "sample_shape": data.sampleShape.map(String.init).joined(separator: ",")],
                                                       configuration: configuration.jsonText()))
        }
        while let batch = try pipeline.next() {
            let learningRate = schedule?.learningRate(atStep: step) ?? configuration.optimizer.learningRate
            optimizer.learningRate = learningRate
            context.generator = RandomGenerator(seed: configuration.seed, stream: [1, UInt64(step)])
            let (value, output) = trainingStepWithOutput(model: model, loss: loss, optimizer: optimizer,
                                                         inputs: batch.features, targets: batch.labels, context: context)
            let correct = zip(loss.predictions(output), batch.labels).filter { $0 == $1 }.count
            if let every = printLossEvery, step % every == 0 { reporter.line(String(format: "step %4d  loss %.6f", step, value)) }
            step += 1
            samplesThisRun += batch.count
            epochLoss += Double(value) * Double(batch.count)
            epochCorrect += correct
            epochSamples += batch.count
            epochBatches += 1
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStarted) / 1e9
            let rate = Double(epochSamples) / max(elapsed, 1e-9)
            let remaining = Double(batches - batch.indexInEpoch - 1) * elapsed / Double(max(epochBatches, 1))
            reporter.step(epoch: batch.epoch, epochs: configuration.epochs, batch: batch.indexInEpoch + 1, batches: batches,
                          loss: epochLoss / Double(epochSamples), accuracy: Double(epochCorrect) / Double(epochSamples),
                          samplesPerSecond: rate, waitShare: pipeline.statistics.waitFraction, remainingSeconds: remaining)
            if step % logEvery == 0 {
                metrics.append(["kind": "step", "step": step, "epoch": batch.epoch, "loss": Double(value), "accuracy": Double(correct) / Double(batch.count),
                                "learning_rate": Double(learningRate), "samples_per_second": rate, "data_wait": pipeline.statistics.waitFraction])
                try events.add(scalars: [("train/loss", value), ("train/learning_rate", learningRate)], step: step)
            }
            if batch.isLastInEpoch {
                lastEpochLoss = epochLoss / Double(max(epochSamples, 1))
                let trainAccuracy = Double(epochCorrect) / Double(max(epochSamples, 1))
                var record: [String: Any] = ["kind": "epoch", "step": step, "epoch": batch.epoch, "loss": lastEpochLoss, "accuracy": trainAccuracy,
                                             "learning_rate": Double(learningRate), "samples_per_second": rate, "data_wait": pipeline.statistics.waitFraction]
                var scalars: [(tag: String, value: Float)] = [("epoch/loss", Float(lastEpochLoss)), ("epoch/accuracy", Float(trainAccuracy))]
                var text = String(format: "epoch %d/%d  loss %.4f  acc %.1f%%", batch.epoch + 1, configuration.epochs, lastEpochLoss, trainAccuracy * 100)
                var checkpointMetrics: [String: Double] = ["loss": lastEpochLoss, "accuracy": trainAccuracy]
                if let validationSource = data.validation {
                    let evaluation = try Evaluation.run(model: model, source: validationSource, loss: loss, classNames: data.classNames,
                                                        threads: pipelineConfiguration.threads)
                    lastValidation = evaluation.accuracy
                    best = max(best ?? 0, evaluation.accuracy)
                    record["validation_loss"] = evaluation.loss
                    record["validation_accuracy"] = evaluation.accuracy
                    scalars += [("epoch/validation_loss", Float(evaluation.loss)), ("epoch/validation_accuracy", Float(evaluation.accuracy))]
                    text += String(format: "  validation loss %.4f  acc %.1f%%", evaluation.loss, evaluation.accuracy * 100)
                    checkpointMetrics["validation_loss"] = evaluation.loss
                    checkpointMetrics["validation_accuracy"] = evaluation.accuracy
                }
                text += String(format: "  (%.1f s, %.0f samples/s)", elapsed, rate)
                metrics.append(record)
                try events.add(scalars: scalars, step: step)
                let lineEvery = max(1, configuration.epochs / 25)  // about 25 epoch lines per run
                if (batch.epoch + 1) % lineEvery == 0 || batch.epoch == 0 || batch.epoch + 1 == configuration.epochs { reporter.line(text) }
                let everyEpochs = max(1, configuration.checkpoint?.everyEpochs ?? 1)
                if (batch.epoch + 1) % everyEpochs == 0 || batch.epoch + 1 == configuration.epochs {
                    try save(batch, metrics: checkpointMetrics)
                }
                epochsCompleted = batch.epoch + 1
                epochLoss = 0
                epochCorrect = 0
                epochSamples = 0
                epochBatches = 0
                epochStarted = DispatchTime.now().uptimeNanoseconds
            } else if let every = everySteps, step % every == 0 {
                try save(batch, metrics: ["loss": Double(value)])
            }
            pipeline.recycle(batch)
            if interrupted() {
                if !batch.isLastInEpoch { try save(batch, metrics: ["loss": Double(value)]) }
                stopped = true
                break
            }
        }
        pipeline.cancel()
        data.packed?.stager.stop()
        try store.waitUntilSaved()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let checkpoints = store.checkpoints()
        let bestName = checkpoints.max { ($0.metrics["validation_accuracy"] ?? -1, $0.step) < ($1.metrics["validation_accuracy"] ?? -1, $1.step) }?.name
        return RunSummary(finalLoss: lastEpochLoss.isNaN ? 0 : lastEpochLoss, finalValidationAccuracy: lastValidation, bestValidationAccuracy: best,
                          steps: step, epochs: epochsCompleted, samplesPerSecond: Double(samplesThisRun) / max(seconds, 1e-9),
                          checkpoint: checkpoints.last.map { "\(store.directory)/\($0.name)" },
                          bestCheckpoint: bestName.map { "\(store.directory)/\($0)" }, seconds: seconds,
                          dataWaitShare: pipeline.statistics.waitFraction, interrupted: stopped)
    }
}
