import Checkpoints
import Layers
import Optimizers

extension RunConfiguration {
    /// The configuration with the command line's overrides applied (`--data` also picks the
    /// dataset kind from the path: packed data, a CSV file or an image folder).
    public func applying(_ overrides: TrainingOverrides) -> RunConfiguration {
        var configuration = self
        if let epochs = overrides.epochs { configuration.epochs = epochs }
        if let batchSize = overrides.batchSize { configuration.pipeline.batchSize = batchSize }
        if let rate = overrides.learningRate { configuration.optimizer.learningRate = rate }
        if let seed = overrides.seed { configuration.seed = seed }
        if let threads = overrides.threads { configuration.pipeline.threads = threads }
        if let data = overrides.data {
            configuration.dataset.path = data
            configuration.dataset.kind = DataKind.of(path: data)
            // A new image folder keeps its own size; packed data records its own.
            if configuration.dataset.kind != .csv { configuration.dataset.size = nil }
        }
        if let validation = overrides.validation { configuration.dataset.validationPath = validation }
        return configuration
    }

    /// The network for `data` (see `ModelBuilder`).
    public func makeModel(for data: DataSummary, path: String = "pipeline") throws(RunConfigurationError) -> Sequential {
        try ModelBuilder.build(model.layers, sampleShape: data.sampleShape, classes: max(data.classCount, 1), seed: seed, path: path)
    }

    /// The registered loss named by `loss`.
    public func makeLoss(path: String = "pipeline") throws(RunConfigurationError) -> LabelLoss {
        do throws(SpecificationError) {
            let make = try LossRegistry.table.entry(named: loss, key: "loss", what: "loss")
            return LabelLoss(kind: loss, function: try applyingLabelSmoothing(to: make()))
        } catch {
            throw RunConfigurationError(path: path, error)
        }
    }

    /// The optimizer the `optimizer` section describes.
    public func makeOptimizer(path: String = "pipeline") throws(RunConfigurationError) -> any Optimizers.Optimizer {
        do {
            return try optimizer.settings.makeOptimizer(
                learningRate: optimizer.learningRate, weightDecay: optimizer.weightDecay ?? optimizer.settings.defaultWeightDecay)
        } catch {
            throw RunConfigurationError(path: path, SpecificationError(error).within("optimizer"))
        }
    }

    /// Which checkpoints to keep: `keep_last` (default 3), `keep_best` (default 1) by `metric`
    /// (default validation accuracy with validation data, validation loss for a regression, else
    /// the training loss).
    public func retentionPolicy(hasValidation: Bool) -> RetentionPolicy {
        let metric = checkpoint?.metric ?? (hasValidation ? (dataset.isRegression ? .validationLoss : .validationAccuracy) : .loss)
        return RetentionPolicy(
            keepLast: checkpoint?.keepLast ?? 3, keepBest: checkpoint?.keepBest ?? 1, metric: metric.rawValue,
            goal: metric.rawValue.hasSuffix("accuracy") ? .maximize : .minimize)
    }
}
