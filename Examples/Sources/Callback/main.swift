// Callback: a training callback that records the loss and stops training below a threshold.
import Millrace

/// Records every step's loss, and asks the trainer to stop once an epoch's mean loss is below
/// `threshold`. The loop then ends cleanly after that step's events, and `fit` returns the reason.
final class StopBelowLoss: TrainingCallback {
    let threshold: Double
    private(set) var stepLosses: [Float] = []

    init(threshold: Double) { self.threshold = threshold }

    /// Called on the loop's thread for every event, in order; a thrown error stops training.
    func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .stepEnded(let step):
            stepLosses.append(step.loss)
        case .epochEnded(let epoch) where epoch.loss < threshold:
            trainer.requestStop(reason: "epoch \(epoch.epoch + 1) reached loss \(epoch.loss), below \(threshold)")
        default:
            break
        }
    }
}

// 1. Data: 256 points in the plane, class 1 above the line y = x, class 0 below.
let points = Tensor(shape: [256, 2], generating: { index in Float((index * 7919) % 200) / 100 - 1 })
let labels = (0..<256).map { row in points[flat: row * 2 + 1] > points[flat: row * 2] ? 1 : 0 }
let dataset = TensorDataset(features: points, labels: labels, classNames: ["below", "above"])

// 2. A pipeline: shuffled batches of 32 for at most 200 epochs.
var configuration = PipelineConfiguration()
configuration.batchSize = 32
configuration.epochs = 200
let pipeline = try BatchPipeline(dataset: dataset, configuration: configuration)

// 3. A small model and the trainer with the callback.
var generator = RandomGenerator(seed: 1)
let model = Sequential(
    Dense(inputSize: 2, outputSize: 16, generator: &generator), ReLU(),
    Dense(inputSize: 16, outputSize: 2, generator: &generator))
let stopper = StopBelowLoss(threshold: 0.1)
let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01), callbacks: [stopper])

// 4. Train; the summary says why it stopped (nil when it ran every epoch).
let summary = try trainer.fit(pipeline)
let losses = stopper.stepLosses
print("steps: \(summary.totalSteps), loss of the first step: \(losses.first ?? 0), of the last: \(losses.last ?? 0)")
print(summary.stopReason ?? "ran all \(configuration.epochs ?? 0) epochs")
