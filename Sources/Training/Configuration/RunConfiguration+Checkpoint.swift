extension RunConfiguration {
    /// Checkpointing.
    public struct Checkpoint: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case directory
            case everySteps = "every_steps"
            case everyEpochs = "every_epochs"
            case keepLast = "keep_last"
            case keepBest = "keep_best"
            case metric
        }

        /// The directory.
        public var directory: String?
        /// Save every this many steps.
        public var everySteps: Int?
        /// Save at the end of every this many epochs (default 1) and of the last.
        public var everyEpochs: Int?
        /// Keep the last N.
        public var keepLast: Int?
        /// Keep the best K by the metric.
        public var keepBest: Int?
        /// The metric for "best": `validation_accuracy` (maximised), `validation_loss`, `loss` (minimised) or `accuracy`.
        public var metric: CheckpointMetric?

        /// Decodes the section (unknown keys and words are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            directory = try container.decodeValueIfPresent(String.self, forKey: .directory)
            everySteps = try container.decodeValueIfPresent(Int.self, forKey: .everySteps)
            everyEpochs = try container.decodeValueIfPresent(Int.self, forKey: .everyEpochs)
            keepLast = try container.decodeValueIfPresent(Int.self, forKey: .keepLast)
            keepBest = try container.decodeValueIfPresent(Int.self, forKey: .keepBest)
            metric = try container.decodeValueIfPresent(CheckpointMetric.self, forKey: .metric)
        }

        /// Positive intervals, counts not negative.
        public func validate() throws(SpecificationError) {
            if let everySteps { try SpecificationError.require(everySteps > 0, "every_steps", everySteps, mustBe: "1 or more") }
            if let everyEpochs { try SpecificationError.require(everyEpochs > 0, "every_epochs", everyEpochs, mustBe: "1 or more") }
            if let keepLast { try SpecificationError.require(keepLast >= 0, "keep_last", keepLast, mustBe: "0 or more") }
            if let keepBest { try SpecificationError.require(keepBest >= 0, "keep_best", keepBest, mustBe: "0 or more") }
        }
    }

    /// Logging.
    public struct Logging: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case runDirectory = "run_directory"
            case everySteps = "every_steps"
            case printLossEvery = "print_loss_every"
        }

        /// Where metrics.jsonl, the resolved configuration and TensorBoard events go.
        public var runDirectory: String?
        /// Log a step line every this many steps.
        public var everySteps: Int?
        /// Print the loss every this many steps (the xor-seed loss curve).
        public var printLossEvery: Int?

        /// Decodes the section (unknown keys are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            runDirectory = try container.decodeValueIfPresent(String.self, forKey: .runDirectory)
            everySteps = try container.decodeValueIfPresent(Int.self, forKey: .everySteps)
            printLossEvery = try container.decodeValueIfPresent(Int.self, forKey: .printLossEvery)
        }

        /// Positive intervals.
        public func validate() throws(SpecificationError) {
            if let everySteps { try SpecificationError.require(everySteps > 0, "every_steps", everySteps, mustBe: "1 or more") }
            if let printLossEvery { try SpecificationError.require(printLossEvery > 0, "print_loss_every", printLossEvery, mustBe: "1 or more") }
        }
    }
}
