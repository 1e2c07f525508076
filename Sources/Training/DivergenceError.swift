/// Training diverged: a step's loss came out NaN or infinite. The step's update is not kept in
/// any checkpoint (the loop stops before announcing the step), so the newest checkpoint is the
/// last good state; as Lightning's `EarlyStopping(check_finite=True)` and Keras'
/// `TerminateOnNaN` stop such a run, so does Millrace, with an error instead of a silent model of NaNs.
public struct DivergenceError: Error, Equatable, CustomStringConvertible {
    /// The step whose loss was not finite (steps of the whole run, counting from 1).
    public var step: Int
    /// Its epoch (0-based).
    public var epoch: Int
    /// Its batch within the epoch (0-based).
    public var batchInEpoch: Int
    /// The loss.
    public var loss: Float
    /// The learning rate of the step.
    public var learningRate: Float
    /// Whose words the fix uses: the command's options or `Fit`'s parameters.
    public var advice = RunAdvice.commandLine

    /// Creates the error.
    public init(step: Int, epoch: Int, batchInEpoch: Int, loss: Float, learningRate: Float) {
        self.step = step
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.loss = loss
        self.learningRate = learningRate
    }

    /// One line: where, what, and what to do.
    public var description: String {
        "training diverged at step \(step) (epoch \(epoch + 1), batch \(batchInEpoch + 1)): the loss is \(loss.isNaN ? "NaN" : "\(loss)"); "
            + "nothing after the last checkpoint is saved. Lower the learning rate (it was \(learningRate)), "
            + "check the data for NaN or infinite values, or continue from the last checkpoint with \(advice.smallerLearningRate)"
    }
}
