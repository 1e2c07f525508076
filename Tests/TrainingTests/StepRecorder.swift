import DataPipeline
import Layers
import Optimizers
import Tensors
import Training

/// Records what the training loop announces (a test callback: also the README's example shape).
final class StepRecorder: TrainingCallback {
    /// Loss of each step, by 0-based step index.
    var losses: [Int: Float] = [:]
    /// Learning rate of each step, in order.
    var rates: [Float] = []
    /// Mean loss of each finished epoch.
    var epochLosses: [Double] = []
    /// Every event's name, in order.
    var events: [String] = []

    func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .began: events.append("began")
        case .stepEnded(let step):
            losses[step.step - 1] = step.loss
            rates.append(step.learningRate)
            events.append("step")
        case .epochEnded(let epoch):
            epochLosses.append(epoch.loss)
            events.append("epoch")
        case .validated: events.append("validated")
        case .checkpointSaved: events.append("checkpoint")
        case .interrupted: events.append("interrupted")
        case .stopped: events.append("stopped")
        case .beforeUpdate: break
        case .ended: events.append("ended")
        }
    }
}

/// Trains `model` on in-memory data with the one training loop: `batchSize` 1 is the seed's
/// every-sample mode, `nil` the full batch (no shuffling), anything else mini-batches.
@discardableResult
func train(
    _ model: any Layer, loss: any ClassificationLoss, optimizer: any Optimizer, features: Tensor, labels: [Int], epochs: Int,
    batchSize: Int?, shuffle: Bool = true, seed: UInt64 = 0, schedule: (any LearningRateSchedule)? = nil
) throws -> (trainer: Trainer, recorder: StepRecorder) {
    let recorder = StepRecorder()
    let trainer = Trainer(model: model, loss: loss, optimizer: optimizer, schedule: schedule, seed: seed, callbacks: [recorder])
    var configuration = PipelineConfiguration()
    configuration.batchSize = batchSize ?? labels.count
    configuration.shuffle = batchSize == nil ? false : shuffle
    configuration.epochs = epochs
    configuration.seed = seed
    configuration.waitTimeout = 600
    let pipeline = try BatchPipeline(dataset: TensorDataset(features: features, labels: labels), configuration: configuration)
    try trainer.fit(pipeline)
    return (trainer, recorder)
}
