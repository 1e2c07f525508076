import Tensors

/// A linear warm-up of `steps` steps in front of another schedule: step `s < steps` takes
/// `(s + 1) / steps` of the schedule's first rate, then the schedule runs from its own step 0
/// (`after.learningRate(atStep: s - steps)`). As PyTorch's
/// `SequentialLR([LinearLR(start_factor=1/steps, total_iters=steps-1), after], milestones=[steps])`,
/// so a cosine decay after a warm-up is given the run's steps less the warm-up. A pure function
/// of the step: a resumed run gets the same rates.
public struct LinearWarmup: LearningRateSchedule {
    /// The length of the warm-up.
    public let steps: Int
    /// The schedule after it (its step 0 is the first step after the warm-up).
    public let after: any LearningRateSchedule

    /// Creates the schedule; `steps` below 1 throws an error naming it.
    public init(steps: Int, then after: any LearningRateSchedule) throws(ArgumentError) {
        guard steps > 0 else {
            throw ArgumentError(
                call: "LinearWarmup(steps:then:)", argument: "steps", reason: "is \(steps), not positive",
                fix: "give the length of the warm-up in steps, 1 or more")
        }
        self.steps = steps
        self.after = after
    }

    /// `(step + 1) / steps` of the first rate during the warm-up, then the schedule's rate.
    public func learningRate(atStep step: Int) -> Float {
        guard step < steps else { return after.learningRate(atStep: step - steps) }
        return Float(Double(after.learningRate(atStep: 0)) * Double(step + 1) / Double(steps))
    }
}
