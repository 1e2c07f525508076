extension RunConfiguration {
    /// Checkpointing.
    public struct Checkpoint: KeyedSettings, Equatable {
        /// The directory.
        @Setting("directory") public var directory: String? = nil
        /// Save every this many steps.
        @Setting("every_steps", .atLeast(1)) public var everySteps: Int? = nil
        /// Save at the end of every this many epochs (default 1) and of the last.
        @Setting("every_epochs", .atLeast(1)) public var everyEpochs: Int? = nil
        /// Keep the last N.
        @Setting("keep_last", .atLeast(0)) public var keepLast: Int? = nil
        /// Keep the best K by the metric.
        @Setting("keep_best", .atLeast(0)) public var keepBest: Int? = nil
        /// The metric for "best": `validation_accuracy` (maximised), `validation_loss`, `loss` (minimised) or `accuracy`.
        @Setting("metric") public var metric: CheckpointMetric? = nil

        /// No settings (the defaults).
        public init() {}
    }

    /// Logging.
    public struct Logging: KeyedSettings, Equatable {
        /// Where metrics.jsonl, the resolved configuration and TensorBoard events go.
        @Setting("run_directory") public var runDirectory: String? = nil
        /// Log a step line every this many steps.
        @Setting("every_steps", .atLeast(1)) public var everySteps: Int? = nil
        /// Print the loss every this many steps (the xor-seed loss curve).
        @Setting("print_loss_every", .atLeast(1)) public var printLossEvery: Int? = nil

        /// No settings (the defaults).
        public init() {}
    }
}
