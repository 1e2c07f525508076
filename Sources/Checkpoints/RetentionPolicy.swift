/// One complete checkpoint as retention sees it.
public struct CheckpointSummary: Sendable, Equatable {
    /// Its directory name (`step-000000123`).
    public var name: String
    /// Its step.
    public var step: Int
    /// When it was taken.
    public var createdAt: Double
    /// Its metrics.
    public var metrics: [String: Double]

    /// Creates a summary.
    public init(name: String, step: Int, createdAt: Double, metrics: [String: Double]) {
        self.name = name
        self.step = step
        self.createdAt = createdAt
        self.metrics = metrics
    }
}

/// Which checkpoints to keep after each commit: the last N, the best K by a metric, one every T
/// steps and one every S seconds. The newest checkpoint and the best one are never deleted.
public struct RetentionPolicy: Codable, Sendable, Equatable {
    /// Whether a smaller or a larger metric is better.
    public enum Goal: String, Codable, Sendable {
        /// Smaller is better (a loss).
        case minimize
        /// Larger is better (an accuracy).
        case maximize
    }

    /// How many of the most recent checkpoints to keep.
    public var keepLast: Int
    /// How many of the best checkpoints by `metric` to keep.
    public var keepBest: Int
    /// The metric that ranks checkpoints.
    public var metric: String?
    /// Whether the metric is minimised or maximised.
    public var goal: Goal
    /// Keep every checkpoint whose step is a multiple of this.
    public var keepEverySteps: Int?
    /// Keep one checkpoint per this many seconds of the run.
    public var keepEverySeconds: Double?

    /// Creates a policy; by default the last 3 are kept.
    public init(
        keepLast: Int = 3, keepBest: Int = 0, metric: String? = nil, goal: Goal = .minimize,
        keepEverySteps: Int? = nil, keepEverySeconds: Double? = nil
    ) {
        self.keepLast = keepLast
        self.keepBest = keepBest
        self.metric = metric
        self.goal = goal
        self.keepEverySteps = keepEverySteps
        self.keepEverySeconds = keepEverySeconds
    }

    /// The steps to keep among `checkpoints` (a pure function, table-tested).
    public func survivors(of checkpoints: [CheckpointSummary]) -> Set<Int> {
        let ordered = checkpoints.sorted { $0.step < $1.step }
        guard let newest = ordered.last else { return [] }
        var keep: Set<Int> = [newest.step]
        keep.formUnion(ordered.suffix(max(keepLast, 0)).map(\.step))
        if let metric {
            let ranked = ordered.filter { $0.metrics[metric]?.isNaN == false && $0.metrics[metric] != nil }.sorted { a, b in
                let (x, y) = (a.metrics[metric]!, b.metrics[metric]!)
                if x != y { return goal == .minimize ? x < y : x > y }
                return a.step > b.step  // ties: the later one
            }
            keep.formUnion(ranked.prefix(max(keepBest, 1)).map(\.step))
        }
        if let every = keepEverySteps, every > 0 {
            keep.formUnion(ordered.filter { $0.step % every == 0 }.map(\.step))
        }
        if let seconds = keepEverySeconds, seconds > 0 {
            var last = -Double.infinity
            for checkpoint in ordered where checkpoint.createdAt >= last + seconds {
                keep.insert(checkpoint.step)
                last = checkpoint.createdAt
            }
        }
        return keep
    }
}
