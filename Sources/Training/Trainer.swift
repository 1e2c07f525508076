import DataPipeline
import Dispatch
import Layers
import Optimizers
import Tensors

/// What one pass of `Trainer.fit` did.
public struct TrainingSummary: Sendable, Equatable {
    /// Steps taken.
    public var steps: Int
    /// Samples consumed.
    public var samples: Int
    /// Mean batch loss of each finished epoch.
    public var epochLosses: [Float]
    /// Wall time of the loop.
    public var seconds: Double
    /// The fraction of the loop's time spent waiting for data.
    public var dataWaitFraction: Double
    /// The pipeline's state after the last batch (save it to resume).
    public var pipelineState: PipelineState
}

/// The training loop over a batch pipeline: the pipeline's producer decodes the next batches
/// while the step runs on this thread, so the step waits only when decoding is slower.
/// Stochastic layers get a generator derived from (seed, step).
public final class Trainer<Model: Layer, Objective: Loss, Update: Optimizer> where Objective.Target == [Int] {
    /// The model.
    public let model: Model
    /// The loss.
    public let loss: Objective
    /// The optimizer.
    public let optimizer: Update
    /// The learning-rate schedule, if any.
    public let schedule: (any LearningRateSchedule)?
    /// The seed of stochastic layers.
    public let seed: UInt64
    /// Steps taken so far (restored on resume).
    public var stepCount: Int

    /// Creates a trainer.
    public init(model: Model, loss: Objective, optimizer: Update, schedule: (any LearningRateSchedule)? = nil, seed: UInt64 = 0, stepCount: Int = 0) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.seed = seed
        self.stepCount = stepCount
    }

    /// Trains on every batch the pipeline gives (until it ends or `shouldStop` returns true after
    /// a step), calling `onStep` after each step with the record and the batch's state after it.
    @discardableResult
    public func fit(
        _ pipeline: BatchPipeline,
        shouldStop: (() -> Bool)? = nil,
        onStep: ((StepRecord, Batch) throws -> Void)? = nil
    ) throws -> TrainingSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        var samples = 0, steps = 0
        var epochLosses: [Float] = [], epochTotal = 0.0, epochSteps = 0
        while let batch = try pipeline.next() {
            let learningRate = schedule?.learningRate(atStep: stepCount) ?? optimizer.learningRate
            optimizer.learningRate = learningRate
            let context = ForwardContext(isTraining: true, generator: RandomGenerator(seed: seed, stream: [1, UInt64(stepCount)]))
            let value = trainingStep(model: model, loss: loss, optimizer: optimizer, inputs: batch.features, targets: batch.labels, context: context)
            epochTotal += Double(value)
            epochSteps += 1
            samples += batch.count
            steps += 1
            try onStep?(StepRecord(step: stepCount, epoch: batch.epoch, loss: value, learningRate: learningRate), batch)
            stepCount += 1
            if batch.isLastInEpoch {
                epochLosses.append(Float(epochTotal / Double(max(epochSteps, 1))))
                epochTotal = 0
                epochSteps = 0
            }
            pipeline.recycle(batch)
            if shouldStop?() == true { break }
        }
        return TrainingSummary(steps: steps, samples: samples, epochLosses: epochLosses,
                               seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                               dataWaitFraction: pipeline.statistics.waitFraction, pipelineState: pipeline.state)
    }
}
