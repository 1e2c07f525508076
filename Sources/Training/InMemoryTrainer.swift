import Layers
import Optimizers
import Tensors

/// When the parameters are updated during an epoch over in-memory data.
public enum UpdateMode: Sendable, Equatable {
    /// After every sample, in the data's order (online learning).
    case everySample
    /// Once per epoch, from the gradient of the whole data set (full-batch gradient descent).
    case fullBatch
    /// After every mini-batch of `size` samples, in a seeded random order that differs every
    /// epoch; the last batch of an epoch may be short.
    case miniBatch(size: Int)
}

/// An input/target mismatch found before training starts.
public enum InMemoryTrainerError: Error, Equatable, CustomStringConvertible {
    /// Inputs and targets hold different numbers of samples.
    case sampleCountMismatch(inputs: Int, targets: Int)
    /// There is nothing to train on.
    case empty
    /// A mini-batch size below 1.
    case invalidBatchSize(Int)

    /// A one-line explanation with the fix.
    public var description: String {
        switch self {
        case .sampleCountMismatch(let inputs, let targets):
            return "inputs hold \(inputs) samples but targets hold \(targets): give one target per input row"
        case .empty:
            return "no samples to train on: give at least one input row"
        case .invalidBatchSize(let size):
            return "mini-batch size \(size) is not positive: use 1 or more"
        }
    }
}

/// What happened in one optimisation step.
public struct StepRecord: Sendable, Equatable {
    /// The 0-based step number over the whole run.
    public var step: Int
    /// The 0-based epoch.
    public var epoch: Int
    /// The loss of the batch, before the update.
    public var loss: Float
    /// The learning rate used.
    public var learningRate: Float
}

/// A minimal training loop over data held in memory (the streaming pipeline has its own):
/// it runs epochs in one of the three update modes, with an optional learning-rate schedule.
public final class InMemoryTrainer<Model: Layer, Objective: Loss, Update: Optimizer>
where Objective.Target: BatchSelectable {
    /// The model being trained.
    public let model: Model
    /// The loss.
    public let loss: Objective
    /// The optimizer.
    public let optimizer: Update
    /// The schedule that sets the optimizer's learning rate before each step, if any.
    public let schedule: (any LearningRateSchedule)?
    /// The seed of the mini-batch order and of stochastic layers.
    public let seed: UInt64
    /// The number of steps taken so far.
    public private(set) var stepCount = 0

    /// Creates a trainer.
    public init(model: Model, loss: Objective, optimizer: Update, schedule: (any LearningRateSchedule)? = nil, seed: UInt64 = 0) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.seed = seed
    }

    /// Trains for `epochs` epochs and returns the mean batch loss of each epoch.
    /// `onStep` is called after every step.
    @discardableResult
    public func fit(
        inputs: Tensor, targets: Objective.Target, epochs: Int, mode: UpdateMode,
        onStep: ((StepRecord) -> Void)? = nil
    ) throws(InMemoryTrainerError) -> [Float] {
        let count = inputs.sampleCount
        guard count == targets.sampleCount else {
            throw .sampleCountMismatch(inputs: count, targets: targets.sampleCount)
        }
        guard count > 0 else { throw .empty }
        if case .miniBatch(let size) = mode, size < 1 { throw .invalidBatchSize(size) }
        var epochLosses: [Float] = []
        for epoch in 0..<epochs {
            var total = 0.0
            let batches = batchIndices(count: count, epoch: epoch, mode: mode)
            for indices in batches {
                let learningRate = schedule?.learningRate(atStep: stepCount) ?? optimizer.learningRate
                optimizer.learningRate = learningRate
                let context = ForwardContext(isTraining: true, generator: RandomGenerator(seed: seed, stream: [1, UInt64(stepCount)]))
                let isWhole = indices.count == count && indices == Array(0..<count)
                let value = trainingStep(
                    model: model, loss: loss, optimizer: optimizer,
                    inputs: isWhole ? inputs : inputs.selecting(indices),
                    targets: isWhole ? targets : targets.selecting(indices), context: context)
                total += Double(value)
                onStep?(StepRecord(step: stepCount, epoch: epoch, loss: value, learningRate: learningRate))
                stepCount += 1
            }
            epochLosses.append(Float(total / Double(batches.count)))
        }
        return epochLosses
    }

    /// The sample indices of each batch of an epoch.
    func batchIndices(count: Int, epoch: Int, mode: UpdateMode) -> [[Int]] {
        switch mode {
        case .everySample:
            return (0..<count).map { [$0] }
        case .fullBatch:
            return [Array(0..<count)]
        case .miniBatch(let size):
            var generator = RandomGenerator(seed: seed, stream: [0, UInt64(epoch)])
            let order = generator.permutation(count)
            return stride(from: 0, to: count, by: size).map { Array(order[$0..<Swift.min($0 + size, count)]) }
        }
    }
}
