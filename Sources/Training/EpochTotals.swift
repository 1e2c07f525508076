/// The running sums of the epoch in progress. A checkpoint saves them, so that an epoch resumed
/// halfway reports the figures of the whole epoch (and early stopping on the training loss
/// decides as in the uninterrupted run), adding the same numbers in the same order.
public struct EpochTotals: Codable, Sendable, Equatable {
    /// The sum over the epoch's samples of their loss (each step's mean loss times its samples).
    public var lossSum = 0.0
    /// Samples classified correctly.
    public var correct = 0
    /// Samples trained on (left-out samples not counted).
    public var samples = 0
    /// Steps taken.
    public var steps = 0
    /// A regression epoch's error sums (nil for class labels; optional so older checkpoints load).
    public var regression: RegressionSums?
    /// A multi-label epoch's counts (nil otherwise; optional so older checkpoints load).
    public var multiLabel: MultiLabelSums?

    /// Nothing yet (an epoch's start).
    public init() {}

    /// The mean loss per sample (0, not 0/0, while no sample was counted).
    public var meanLoss: Double { lossSum / Double(max(samples, 1)) }

    /// The share of samples classified correctly (a multi-label epoch's: of labels predicted right).
    public var accuracy: Double { multiLabel?.accuracy ?? Double(correct) / Double(max(samples, 1)) }
}
