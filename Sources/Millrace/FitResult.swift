import Training

/// What a `Fit` run did.
public struct FitResult: Sendable {
    /// Steps, epochs, losses, accuracy, speed, the last and best checkpoints, why it stopped.
    public var summary: RunSummary
    /// The path of `report.html` (nil when it was not written).
    public var report: String?
    /// Where `metrics.jsonl`, the configuration, TensorBoard events and the report are.
    public var runDirectory: String
    /// Where the checkpoints are.
    public var checkpointDirectory: String
    /// The estimated peak memory of the run.
    public var memoryEstimate: MemoryEstimate
    /// The class names, in label order.
    public var classNames: [String]
}
