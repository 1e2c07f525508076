import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The learning rate as a function of the (0-based) number of the step about to be taken.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for step `step` (0 for the first update).
    func learningRate(atStep step: Int) -> Float
}

/// The same learning rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    /// The learning rate.
    public let value: Float
    /// Creates the schedule.
    public init(_ value: Float) { self.value = value }
    /// Always `value`.
    public func learningRate(atStep step: Int) -> Float { value }
}

/// Multiplies the rate by `factor` every `interval` steps (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule {
    /// The rate of the first `interval` steps.
    public let initial: Float
    /// The factor applied at each decay.
    public let factor: Float
    /// The number of steps between decays.
    public let interval: Int
    /// Creates the schedule; an `interval` below 1 throws an error naming it.
    public init(initial: Float, factor: Float, interval: Int) throws(ArgumentError) {
        guard interval > 0 else {
            throw ArgumentError(
                call: "StepDecay(initial:factor:interval:)", argument: "interval", reason: "is \(interval), not positive",
                fix: "give the number of steps between decays, 1 or more")
        }
        self.initial = initial
        self.factor = factor
        self.interval = interval
    }
    /// `initial * factor^(step / interval)`.
    public func learningRate(atStep step: Int) -> Float {
        Float(Double(initial) * pow(Double(factor), Double(step / interval)))
    }
}

/// Cosine annealing from `initial` to `minimum` over `totalSteps` (PyTorch's `CosineAnnealingLR`
/// without restarts); `minimum` after that.
public struct CosineDecay: LearningRateSchedule {
    /// The rate at step 0.
    public let initial: Float
    /// The rate at `totalSteps` and after.
    public let minimum: Float
    /// The length of the decay.
    public let totalSteps: Int
    /// Creates the schedule; a `totalSteps` below 1 throws an error naming it.
    public init(initial: Float, minimum: Float = 0, totalSteps: Int) throws(ArgumentError) {
        guard totalSteps > 0 else {
            throw ArgumentError(
                call: "CosineDecay(initial:minimum:totalSteps:)", argument: "totalSteps", reason: "is \(totalSteps), not positive",
                fix: "give the length of the decay in steps, 1 or more")
        }
        self.initial = initial
        self.minimum = minimum
        self.totalSteps = totalSteps
    }
    /// `minimum + (initial - minimum) * (1 + cos(π step / totalSteps)) / 2`.
    public func learningRate(atStep step: Int) -> Float {
        let progress = Double(min(step, totalSteps)) / Double(totalSteps)
        return Float(Double(minimum) + Double(initial - minimum) * (1 + cos(Double.pi * progress)) / 2)
    }
}
