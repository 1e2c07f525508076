import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one-cycle policy (Smith & Topin) as PyTorch's `OneCycleLR` with its defaults
/// (`anneal_strategy="cos"`, `three_phase=False`): the rate rises from `maximum / initialDivisor`
/// to `maximum` over the first `warmupFraction` of `totalSteps` and falls to
/// `maximum / initialDivisor / finalDivisor` at the last step, both halves cosine-shaped. Phase
/// ends as PyTorch's: `warmupFraction * totalSteps - 1` and `totalSteps - 1`. Momentum is not
/// cycled (PyTorch's `cycle_momentum=False`). Steps past the last keep the final rate.
public struct OneCycle: LearningRateSchedule {
    /// The peak rate (PyTorch's `max_lr`).
    public let maximum: Float
    /// The run's steps.
    public let totalSteps: Int
    /// The share of the steps spent rising (PyTorch's `pct_start`, 0.3).
    public let warmupFraction: Double
    /// The first rate is `maximum / initialDivisor` (PyTorch's `div_factor`, 25).
    public let initialDivisor: Double
    /// The last rate is the first `/ finalDivisor` (PyTorch's `final_div_factor`, 1e4).
    public let finalDivisor: Double

    /// Creates the schedule; arguments out of range (fewer than 2 steps, a fraction outside
    /// (0, 1) or whose rise is not over 1 step, a divisor not above 0) throw an error naming them.
    public init(maximum: Float, totalSteps: Int, warmupFraction: Double = 0.3, initialDivisor: Double = 25, finalDivisor: Double = 1e4)
        throws(ArgumentError)
    {
        let call = "OneCycle(maximum:totalSteps:warmupFraction:initialDivisor:finalDivisor:)"
        let problems: [(argument: String, reason: String?, fix: String)] = [
            ("totalSteps", totalSteps < 2 ? "is \(totalSteps), below 2" : nil, "give the run's steps, 2 or more"),
            ("warmupFraction", warmupFraction > 0 && warmupFraction < 1 ? nil : "is \(warmupFraction), not in (0, 1)", "give a share such as 0.3"),
            (
                "warmupFraction",
                warmupFraction * Double(totalSteps) > 1 ? nil : "of \(totalSteps) steps is \(warmupFraction * Double(totalSteps)) steps, not above 1",
                "give a larger share or more steps (the rise ends at warmupFraction * totalSteps - 1, after step 0)"
            ),
            (
                "initialDivisor", initialDivisor > 0 && initialDivisor.isFinite ? nil : "is \(initialDivisor), not positive",
                "give a divisor such as 25"
            ),
            ("finalDivisor", finalDivisor > 0 && finalDivisor.isFinite ? nil : "is \(finalDivisor), not positive", "give a divisor such as 1e4"),
        ]
        if let problem = problems.first(where: { $0.reason != nil }), let reason = problem.reason {
            throw ArgumentError(call: call, argument: problem.argument, reason: reason, fix: problem.fix)
        }
        self.maximum = maximum
        self.totalSteps = totalSteps
        self.warmupFraction = warmupFraction
        self.initialDivisor = initialDivisor
        self.finalDivisor = finalDivisor
    }

    /// PyTorch's `OneCycleLR.get_lr()` at `step` (0 for the first update).
    public func learningRate(atStep step: Int) -> Float {
        let peak = Double(maximum)
        let initial = peak / initialDivisor
        let final = initial / finalDivisor
        let riseEnd = warmupFraction * Double(totalSteps) - 1
        let fallEnd = Double(totalSteps - 1)
        let position = Double(min(step, totalSteps - 1))
        if position <= riseEnd {
            return Float(Self.cosine(from: initial, to: peak, progress: position / riseEnd))
        }
        return Float(Self.cosine(from: peak, to: final, progress: (position - riseEnd) / (fallEnd - riseEnd)))
    }

    /// PyTorch's `_annealing_cos`: `end + (start - end) / 2 * (cos(π progress) + 1)`.
    private static func cosine(from start: Double, to end: Double, progress: Double) -> Double {
        end + (start - end) / 2 * (cos(Double.pi * progress) + 1)
    }
}
