/// How a run's messages name what the user can change: `millrace train`'s flags, or the
/// parameters of `Fit` for a run started from code (an error that tells a Swift caller to pass
/// `--resume` would tell it nothing it can do).
public enum RunAdvice: Sendable {
    /// `--resume`, `--restart`, `--run-dir`, ...
    case commandLine
    /// `start: .latest`, `start: .over`, `runDirectory:`, ...
    case code

    /// Continue from the newest checkpoint.
    public var resume: String { self == .commandLine ? "--resume" : "start: .latest (resume)" }
    /// Move the earlier checkpoints aside and begin again.
    public var restart: String { self == .commandLine ? "--restart" : "start: .over" }
    /// The run directory.
    public var runDirectory: String { self == .commandLine ? "--run-dir" : "runDirectory" }
    /// The checkpoint directory.
    public var checkpointDirectory: String { self == .commandLine ? "--checkpoint-dir" : "checkpoint directory" }
    /// How to continue a diverged run with a smaller learning rate.
    public var smallerLearningRate: String {
        self == .commandLine ? "--resume --learning-rate <smaller>" : "start: .latest and a smaller learningRate in optimizer:"
    }
    /// The staging cache directory.
    public var cacheDirectory: String { self == .commandLine ? "--cache-dir" : "overrides.cacheDirectory" }
}
