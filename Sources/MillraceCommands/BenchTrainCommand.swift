import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import Layers
import Optimizers
import SystemIO
import Tensors
import Training

/// `millrace bench train`: samples/s of full training steps on random data.
struct BenchTrainCommand: ParsableCommand {
    enum Model: String, ExpressibleByArgument, CaseIterable {
        case mlp, cnn
        case cnnBatchNorm = "cnn-batchnorm"
        case resnet20
    }

    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Measure training steps (forward, loss, backward, SGD with momentum) on random data.",
        discussion: """
            mlp: 784-256-10 with ReLU; cnn: 32x32x3 -> conv3x3(32)+ReLU+maxpool2 -> conv3x3(64)+ReLU+maxpool2 \
            -> dense(4096->128)+ReLU -> dense(128->10); cnn-batchnorm: cnn with a batchnorm after each conv; \
            resnet20: He et al.'s CIFAR ResNet-20 (pipelines/cifar-resnet.json's model, 32x32x3 input).

            Softmax cross-entropy, SGD with momentum 0.9. The step is the training loop's own: gradient chunks of \
            --gradient-chunk samples (default as in training: 8, or batch/64) summed in the fixed tree order; \
            --gradient-chunk equal to --batch-size gives one chunk, the plain whole-batch computation.

            Example: swift run -c release millrace bench train --model cnn --batch-size 64 --threads 2 --json
            """
    )

    @Option(help: "mlp, cnn, cnn-batchnorm or resnet20.")
    var model: Model = .mlp

    @Option(help: "Samples per step.", transform: IntegerOption.whole)
    var batchSize: Int = 64

    @Option(
        help: "Samples per gradient chunk (default: as in training, 8 or batch/64; the batch size for one chunk).", transform: IntegerOption.whole)
    var gradientChunk: Int?

    @Option(help: "Compute threads.", transform: IntegerOption.whole)
    var threads: Int = ComputeThreads.processorCount

    @Option(help: "Seconds of timed steps.")
    var seconds: Double = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Also time each layer's forward and backward pass.")
    var profile = false

    func validate() throws {
        guard batchSize > 0, threads > 0, seconds > 0, (gradientChunk ?? 1) > 0 else {
            throw ValidationError("--batch-size, --threads, --seconds and --gradient-chunk must be positive")
        }
    }

    static func makeModel(_ kind: Model, generator: inout RandomGenerator) throws -> (Sequential, [Int]) {
        switch kind {
        case .resnet20:
            let layers = RunConfiguration.LayerEntry.cifarResNet(depth: 20) ?? []
            return (try ModelBuilder.build(layers, sampleShape: [3, 32, 32], classes: 10, seed: generator.next()), [3, 32, 32])
        case .mlp:
            return (
                Sequential(
                    Dense(inputSize: 784, outputSize: 256, generator: &generator), ReLU(),
                    Dense(inputSize: 256, outputSize: 10, generator: &generator)), [784]
            )
        case .cnn, .cnnBatchNorm:
            let norm: (Int) -> [any Layer] = { kind == .cnnBatchNorm ? [BatchNorm(features: $0)] : [] }
            return (
                Sequential(
                    [Conv2D(inputChannels: 3, outputChannels: 32, kernelSize: 3, padding: 1, generator: &generator)] + norm(32)
                        + [ReLU(), MaxPool2D(kernelSize: 2)]
                        + [Conv2D(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, generator: &generator)] + norm(64)
                        + [
                            ReLU(), MaxPool2D(kernelSize: 2),
                            Flatten(), Dense(inputSize: 4096, outputSize: 128, generator: &generator), ReLU(),
                            Dense(inputSize: 128, outputSize: 10, generator: &generator),
                        ]), [3, 32, 32]
            )
        }
    }

    /// Prints the mean wall time of each layer's forward and pullback over 5 steps.
    static func profileLayers(_ network: Sequential, inputs: Tensor, labels: [Int], loss: SoftmaxCrossEntropy) {
        var forward = [Double](repeating: 0, count: network.layers.count)
        var backward = forward
        func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
        for _ in 0..<5 {
            let context = ForwardContext(isTraining: true)
            var output = inputs
            var pullbacks: [Pullback] = []
            for (index, layer) in network.layers.enumerated() {
                context.requireInputGradient(index > 0, for: layer)
                let start = now()
                let step = layer.forward(output, context: context)
                forward[index] += Double(now() - start) / 5e6
                output = step.output
                pullbacks.append(step.pullback)
            }
            var gradient = loss.evaluate(output, target: labels).gradient
            for index in network.layers.indices.reversed() {
                let start = now()
                gradient = pullbacks[index](consume gradient)
                backward[index] += Double(now() - start) / 5e6
            }
        }
        // A diagnostic table: on standard error, so that --json output stays one object.
        for (index, layer) in network.layers.enumerated() {
            Diagnostics.print(
                String(
                    format: "  %2d %-12@ forward %7.2f ms  backward %7.2f ms", index, "\(type(of: layer))" as NSString, forward[index],
                    backward[index]))
        }
    }

    func run() throws {
        ComputeThreads.maximum = threads
        var generator = RandomGenerator(seed: 1)
        let (network, sampleShape) = try BenchTrainCommand.makeModel(model, generator: &generator)
        // The step's memory (SGD with momentum: one slot; one fixed batch, nothing prefetched).
        let estimate = MemoryEstimate.training(model: network, sampleShape: sampleShape, batchSize: batchSize, optimizerSlots: 1, prefetch: 0)
        try BenchBudget.check(
            "--batch-size \(batchSize) with the \(model.rawValue) model", bytes: estimate.totalBytes, fix: "use a smaller --batch-size")
        let inputs = Initializer.normal(mean: 0, standardDeviation: 1).makeTensor(shape: [batchSize] + sampleShape, generator: &generator)
        let labels = (0..<batchSize).map { $0 % 10 }
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()
        // The training loop's own step (forward, loss, backward, update) on one fixed batch.
        let trainer = Trainer(model: network, loss: loss, optimizer: optimizer)
        let batch = Batch(features: inputs, labels: labels)
        trainer.chunkSize = gradientChunk
        let step: () throws -> Void = { _ = try trainer.step(batch) }
        for _ in 0..<3 { try step() }
        var steps = 0
        let faultsBefore = ResourceUsage.minorPageFaults()
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        while elapsed < seconds {
            try step()
            steps += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let samplesPerSecond = Double(steps * batchSize) / elapsed
        // Fresh pages touched per timed step: about 0 when every step reuses the previous step's memory.
        let faultsPerStep = Double(ResourceUsage.minorPageFaults() - faultsBefore) / Double(max(steps, 1))
        if profile { BenchTrainCommand.profileLayers(network, inputs: inputs, labels: labels, loss: loss) }
        if json {
            let result: [String: Any] = [
                "benchmark": "train", "model": model.rawValue, "batch_size": batchSize,
                "gradient_chunk": gradientChunk ?? DataParallel.defaultChunkSize(batchSize: batchSize),
                "threads": threads,
                "steps": steps, "samples_per_second": samplesPerSecond.rounded(), "parameters": network.parameterCount,
                "page_faults_per_step": (faultsPerStep * 10).rounded() / 10,
                "estimated_peak_bytes": estimate.totalBytes, "peak_rss_bytes": ResourceUsage.peakResidentBytes(),
            ]
            try JSONOutput.print(result)
        } else {
            try ResultOutput.print(
                "\(model.rawValue), batch \(batchSize), \(threads) threads: \(Int(samplesPerSecond)) samples/s (\(steps) steps in \(String(format: "%.2f", elapsed)) s, \(String(format: "%.1f", faultsPerStep)) page faults per step)"
            )
        }
    }
}
