import Layers
import SystemIO

extension TrainingRun {
    /// The run's estimated peak memory, refused (before any batch is allocated) when it exceeds
    /// `limit` bytes (`--memory-limit`) or, without one, the memory available.
    static func checkMemory(_ configuration: RunConfiguration, model: Sequential, data: TrainingData, limit: Int?, path: String)
        throws(RunConfigurationError) -> MemoryEstimate
    {
        // A batch never holds more than the training set (the last batch of an epoch is the rest).
        let samples = min(batchSize(configuration, count: data.training.count), max(data.training.count, 1))
        let estimate = MemoryEstimate.training(
            model: model, sampleShape: data.sampleShape, batchSize: samples,
            optimizerSlots: configuration.optimizerSlots, prefetch: configuration.pipeline.prefetch ?? 4)
        guard let available = limit.map({ MemoryAvailable(source: "--memory-limit", bytes: $0) }) ?? MemoryAvailable.current() else {
            return estimate
        }
        do { try estimate.check(limit: available.bytes, source: available.source) } catch {
            throw RunConfigurationError(path: path, key: nil, reason: error.statement, fix: error.fix)
        }
        return estimate
    }
}

extension RunConfiguration {
    /// Tensors of optimizer state per parameter: Adam 2 (the moment estimates), SGD 1 with
    /// momentum, else 0.
    var optimizerSlots: Int {
        if let sgd = optimizer.settings as? SGDSpecification { return (sgd.momentum ?? 0) > 0 ? 1 : 0 }
        return 2  // Adam, and custom optimizers (assumed to keep as much as Adam)
    }
}
