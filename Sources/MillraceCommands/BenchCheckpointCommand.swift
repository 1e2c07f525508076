import ArgumentParser
import Checkpoints
import Dispatch
import Foundation
import Layers
import Optimizers
import Tensors
import Training

/// `millrace bench checkpoint`: how long saving blocks the training thread, and how long it takes.
struct BenchCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Measure checkpoint saves of a model with Adam state (blocking time, total time, step slowdown).",
        discussion: "Example: swift run -c release millrace bench checkpoint --parameters 10000000 --directory /tmp/millrace-bench-checkpoints"
    )

    @Option(help: "Approximate number of model parameters.", transform: IntegerOption.whole)
    var parameters: Int = 10_000_000

    @Option(help: "Where to write the checkpoints (removed afterwards).")
    var directory: String = "/tmp/millrace-bench-checkpoints"

    @Option(help: "Saves to time.", transform: IntegerOption.whole)
    var saves: Int = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard parameters > 0, saves > 0 else { throw ValidationError("--parameters and --saves must be positive") }
        // Values, gradients, Adam's two moments, the snapshot of values and moments the
        // background writer holds, and the file's bytes.
        try BenchBudget.check(
            "--parameters \(parameters) (with gradients, Adam state, the checkpoint's copy and file)",
            bytes: BenchBudget.bytes(ofFloats: MemoryEstimate.multiply(parameters, 8)), fix: "use fewer --parameters")
    }

    func run() throws {
        let width = Int(Double(parameters).squareRoot())
        var generator = RandomGenerator(seed: 1)
        let model = Dense(inputSize: width, outputSize: width, generator: &generator)
        let optimizer = Adam(learningRate: 1e-3)
        model.weight.gradient = Tensor(shape: model.weight.value.shape, repeating: 1e-3)
        model.bias?.gradient = Tensor(shape: [width], repeating: 1e-3)
        optimizer.step(model)  // create the moment estimates: the checkpoint holds 3 x parameters
        func timedStep() -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            optimizer.step(model)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let plainStep = (0..<3).map { _ in timedStep() }.min() ?? 0
        try? FileManager.default.removeItem(atPath: directory)
        let store = try CheckpointStore(directory: directory, retention: RetentionPolicy(keepLast: 1))
        var blocking: [Double] = []
        var totals: [Double] = []
        var stepsAfter: [Double] = []
        for save in 0..<saves {
            try store.save(TrainingCheckpoint.contents(model: model, optimizer: optimizer, step: save + 1, epoch: 0, pipelineState: nil))
            blocking.append(store.lastSaveDuration.blocking)
            stepsAfter.append(timedStep())  // the update copies what the background write still shares
            try store.waitUntilSaved()
            totals.append(store.lastSaveDuration.total)
        }
        let bytes =
            (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(CheckpointStore.name(ofStep: saves))/model.safetensors")[.size] as? Int)
            ?? 0
        try? FileManager.default.removeItem(atPath: directory)
        let result: [String: Any] = [
            "benchmark": "checkpoint", "parameters": model.parameterCount, "model_bytes": bytes,
            "save_blocking_milliseconds": (blocking.min()! * 1e5).rounded() / 100,
            "save_total_milliseconds": (totals.min()! * 1e5).rounded() / 100,
            "optimizer_step_milliseconds": (plainStep * 1e5).rounded() / 100,
            "optimizer_step_after_save_milliseconds": (stepsAfter.min()! * 1e5).rounded() / 100,
        ]
        if json {
            try JSONOutput.print(result)
        } else {
            try ResultOutput.print(
                "\(model.parameterCount) parameters (+ Adam state): save blocks the caller \(result["save_blocking_milliseconds"]!) ms, "
                    + "writes in \(result["save_total_milliseconds"]!) ms in all; an optimizer step takes \(result["optimizer_step_milliseconds"]!) ms, "
                    + "\(result["optimizer_step_after_save_milliseconds"]!) ms right after a save (copy-on-write of the snapshot)")
        }
    }
}
