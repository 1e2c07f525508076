extension RunConfiguration {
    /// `early_stopping`: stop when a metric has stopped improving (`EarlyStopping`).
    public struct EarlyStopping: KeyedSettings, Equatable {
        /// The metric watched: `validation_loss` (the default) or `loss` (minimised),
        /// `validation_accuracy` or `accuracy` (maximised; refused for a regression).
        @Setting("metric") public var metric: CheckpointMetric? = nil
        /// Epochs without improvement after which training stops.
        @Setting("patience", .atLeast(1)) public var patience = 3
        /// How much better than the best an epoch's value must be to count as an improvement (default 0).
        @Setting("min_delta", .atLeast(0)) public var minDelta: Double? = nil

        /// Patience 3, the other keys absent (to be filled in code).
        public init() {}
    }

    /// A validation metric needs validation data: `dataset.validation_path` (`--validation`) or a
    /// `validation_split` above 0.
    func checkEarlyStopping() throws(SpecificationError) {
        guard let earlyStopping else { return }
        let metric = earlyStopping.metric ?? .validationLoss
        guard metric.isValidation, dataset.validationPath == nil, (dataset.validationSplit ?? 0) <= 0 else { return }
        throw SpecificationError(
            key: "early_stopping.metric",
            reason:
                "early stopping watches \(metric.rawValue)\(earlyStopping.metric == nil ? " (the default)" : ""), but the run has no validation data",
            fix: "set dataset.validation_split (such as 0.2) or dataset.validation_path (--validation), or watch \"loss\"")
    }
}
