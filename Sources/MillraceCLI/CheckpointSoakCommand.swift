import ArgumentParser
import Checkpoints
import DataPipeline
import Foundation
import Layers
import Optimizers
import Tensors
import Training

/// `millrace checkpoint-soak`: trains a small model on synthetic data through the real pipeline,
/// trainer and checkpoint store, checkpointing every few steps, so that tests and scripts can
/// kill it at random moments and check what a restart finds. Hidden from help.
struct CheckpointSoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint-soak",
        abstract: "Train a small synthetic model with frequent checkpoints (for crash tests).",
        shouldDisplay: false
    )

    @Option(help: "Checkpoint directory.")
    var directory: String

    @Option(help: "Total optimizer steps.")
    var steps: Int = 60

    @Option(help: "Checkpoint every this many steps.")
    var every: Int = 1

    @Option(help: "Decode threads.")
    var threads: Int = 1

    @Option(help: "Append one line per step (step and sample indices) to this file.")
    var log: String?

    @Flag(help: "Continue from the newest good checkpoint.")
    var resume = false

    func run() throws {
        var generator = RandomGenerator(seed: 21)
        let features = Initializer.normal(mean: 0, standardDeviation: 1).makeTensor(shape: [300, 8], generator: &generator)
        let labels = (0..<300).map { row in features[row, 0] + features[row, 1] > 0 ? 1 : (features[row, 2] > 0.5 ? 2 : 0) }
        let data = TensorDataset(features: features, labels: labels, classNames: ["a", "b", "c"], name: "synthetic")
        var modelGenerator = RandomGenerator(seed: 4)
        let model = Sequential(Dense(inputSize: 8, outputSize: 16, generator: &modelGenerator), ReLU(),
                               Dense(inputSize: 16, outputSize: 3, generator: &modelGenerator))
        let optimizer = Adam(learningRate: 0.01)
        let store = try CheckpointStore(directory: directory, retention: RetentionPolicy(keepLast: 2))
        var configuration = PipelineConfiguration()
        configuration.batchSize = 16
        configuration.seed = 9
        configuration.threads = threads
        configuration.waitTimeout = 60
        var state: PipelineState?
        var startStep = 0
        if resume, let checkpoint = try store.loadLatest() {
            let manifest = try TrainingCheckpoint.restore(checkpoint, model: model, optimizer: optimizer)
            state = manifest.pipelineState
            startStep = manifest.step
        }
        let pipeline = try BatchPipeline(source: data, configuration: configuration, resumingFrom: state)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: optimizer, seed: 5, stepCount: startStep)
        let logHandle = try log.map { path -> FileHandle in
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            handle.seekToEndOfFile()
            return handle
        }
        guard startStep < steps else { return }
        try trainer.fit(pipeline, shouldStop: { trainer.stepCount >= steps }) { record, batch in
            let done = record.step + 1
            if done % every == 0 || done == steps {
                try store.save(TrainingCheckpoint.contents(model: model, optimizer: optimizer, step: done, epoch: batch.epoch,
                                                           pipelineState: batch.stateAfter, metrics: ["loss": Double(record.loss)]))
            }
            logHandle?.write(Data("step \(record.step) saved \(done % every == 0 || done == steps ? done : -1) indices \(batch.indices.map(String.init).joined(separator: ","))\n".utf8))
        }
        try store.waitUntilSaved()
    }
}
