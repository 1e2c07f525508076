/// What a finished (or interrupted) run reports; `--json` prints it.
public struct RunSummary: Codable, Sendable, Equatable {
    /// The mean training loss per sample of the last epoch this invocation finished or, when a
    /// stop cut an epoch short, of the steps it took in that epoch (`stoppedEpochSteps` of
    /// them); nil when this invocation took no step (never a made-up 0).
    public var finalLoss: Double?
    /// The steps `finalLoss` averages when a stop cut their epoch short; nil for a whole epoch.
    public var stoppedEpochSteps: Int?
    /// The last validation accuracy (nil without validation data, and for a regression; a
    /// multi-label run's is the share of labels right).
    public var finalValidationAccuracy: Double?
    /// The best validation accuracy (nil for a regression).
    public var bestValidationAccuracy: Double?
    /// A regression's or multi-label run's last validation loss (nil for a classifier, and
    /// without validation data).
    public var finalValidationLoss: Double? = nil
    /// A regression's last validation RMSE in the targets' units (nil for a classifier, and
    /// without validation data).
    public var finalValidationRmse: Double? = nil
    /// A regression's last validation MAE in the targets' units.
    public var finalValidationMae: Double? = nil
    /// A regression's last validation R².
    public var finalValidationR2: Double? = nil
    /// A multi-label run's last validation exact-match ratio (the share of rows with every label right).
    public var finalValidationExactMatch: Double? = nil
    /// A multi-label run's last validation micro-F1.
    public var finalValidationF1: Double? = nil
    /// Optimizer steps taken in all.
    public var steps: Int
    /// Optimizer steps this invocation took (after a resume, those since; 0 when a stop came first).
    public var stepsTaken = 0
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
    /// Why a callback stopped the run early (early stopping), if one did; a checkpoint was saved.
    public var stopReason: String? = nil
    /// The number of data-parallel ranks (1: a plain run).
    public var ranks = 1
    /// Samples per gradient chunk (every run sums its batches' gradients in chunks of this size).
    public var gradientChunk = 0
    /// The share of step time rank 0 spent in collectives (gradient exchange, loss figures, stop vote).
    public var communicationWaitShare = 0.0
    /// Milliseconds per step: all of it, and the part spent in the gradient exchange.
    public var stepMilliseconds = 0.0
    /// Milliseconds per step in the gradient exchange (waiting for slower ranks included).
    public var exchangeMilliseconds = 0.0
    /// Bytes of gradient this rank handed to the exchange per step.
    public var exchangeBytesPerStep = 0
}
