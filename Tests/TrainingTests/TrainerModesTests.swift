import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// The seed's three update modes (every sample, full batch, mini-batches) as configurations of
/// the one `Trainer` loop.
final class TrainerModesTests: XCTestCase {
    private let xorInputs = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    private let xorLabels = [0, 1, 1, 0]

    private func xorModel(seed: UInt64) -> Sequential {
        var generator = RandomGenerator(seed: seed)
        return Sequential(
            Dense(inputSize: 2, outputSize: 8, weightInitializer: .xavierUniform, generator: &generator), Tanh(),
            Dense(inputSize: 8, outputSize: 1, weightInitializer: .xavierUniform, generator: &generator), Sigmoid())
    }

    func testStepCountsPerUpdateMode() throws {
        let inputs = Tensor.random([10, 2], seed: 1)
        let labels = (0..<10).map { $0 % 2 }
        for (batchSize, expected) in [(1, 10 * 3), (nil, 3), (4, 3 * 3)] as [(Int?, Int)] {
            let (trainer, recorder) = try train(
                xorModel(seed: 1), loss: LossRegistry.loss(named: "mse")!, optimizer: SGD(learningRate: 0.1),
                features: inputs, labels: labels, epochs: 3, batchSize: batchSize)
            XCTAssertEqual(trainer.stepCount, expected, "batch size \(String(describing: batchSize))")
            XCTAssertEqual(recorder.epochLosses.count, 3)
            XCTAssertEqual(recorder.events.filter { $0 == "epoch" }.count, 3)
            XCTAssertEqual(recorder.events.first, "began")
            XCTAssertEqual(recorder.events.last, "ended")
        }
    }

    func testMiniBatchOrderIsSeededAndChangesEveryEpoch() throws {
        func batches(seed: UInt64) throws -> [[Int]] {
            var configuration = PipelineConfiguration()
            configuration.batchSize = 4
            configuration.epochs = 2
            configuration.seed = seed
            let dataset = TensorDataset(features: Tensor.random([10, 2], seed: 1), labels: Array(0..<10))
            let pipeline = try BatchPipeline(dataset: dataset, configuration: configuration)
            var result: [[Int]] = []
            while let batch = try pipeline.next() { result.append(batch.labels) }
            return result
        }
        let first = try batches(seed: 42)
        XCTAssertEqual(first.map(\.count), [4, 4, 2, 4, 4, 2])
        XCTAssertEqual(first[0..<3].flatMap { $0 }.sorted(), Array(0..<10))
        XCTAssertEqual(first, try batches(seed: 42))
        XCTAssertNotEqual(Array(first[0..<3]), Array(first[3..<6]), "each epoch has its own order")
        XCTAssertNotEqual(first, try batches(seed: 43))
    }

    func testFullBatchStepEqualsHandComputedGradientDescent() throws {
        // One step on y = w·x + b with MSE ½(y - t)² averaged: ∂/∂w = mean((y - t)·x).
        let model = try Dense(weight: Tensor([[2]]), bias: Tensor([1]))
        // y = [3, 7]; t = [0, 1]; y - t = [3, 6]; ∂w = (3·1 + 6·3) / 2 = 10.5; ∂b = (3 + 6) / 2 = 4.5.
        try train(
            model, loss: LossRegistry.loss(named: "mse")!, optimizer: SGD(learningRate: 0.1), features: Tensor([[1], [3]]), labels: [0, 1],
            epochs: 1, batchSize: nil)
        XCTAssertEqual(model.weight.value.scalar, 2 - 1.05, accuracy: 1e-6)
        XCTAssertEqual(model.bias!.value.scalar, 1 - 0.45, accuracy: 1e-6)
    }

    func testXORConvergesInEveryUpdateMode() throws {
        for batchSize in [1, nil, 2] as [Int?] {
            let model = xorModel(seed: 3)
            try train(
                model, loss: LossRegistry.loss(named: "mse")!, optimizer: SGD(learningRate: 0.5, momentum: 0.9), features: xorInputs,
                labels: xorLabels, epochs: batchSize == nil ? 1500 : 600, batchSize: batchSize, seed: 5)
            let predictions = model(xorInputs).scalars.map { $0 > 0.5 ? 1 : 0 }
            XCTAssertEqual(predictions, xorLabels, "batch size \(String(describing: batchSize))")
        }
    }

    func testClassifierWithCrossEntropyAndAdamAndSchedule() throws {
        // Two linearly separable clusters: label = x₀ + x₁ > 0.
        let inputs = Tensor.random([100, 2], seed: 7)
        let labels = (0..<100).map { inputs[$0, 0] + inputs[$0, 1] > 0 ? 1 : 0 }
        var generator = RandomGenerator(seed: 8)
        let model = Sequential(
            Dense(inputSize: 2, outputSize: 16, weightInitializer: .heUniform, generator: &generator), ReLU(),
            Dense(inputSize: 16, outputSize: 2, generator: &generator))
        let (_, recorder) = try train(
            model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.05), features: inputs, labels: labels,
            epochs: 50, batchSize: 10, seed: 9, schedule: CosineDecay(initial: 0.05, minimum: 0.005, totalSteps: 500))
        XCTAssertLessThan(recorder.epochLosses.last!, recorder.epochLosses.first! / 4)
        XCTAssertEqual(recorder.rates.first, 0.05)
        XCTAssertEqual(recorder.rates.last!, 0.005, accuracy: 1e-4)
        let accuracy = zip(model(inputs).argmax(alongAxis: 1), labels).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(accuracy, 97)
    }

    func testInterruptIsAnnouncedAfterTheStepThatSawIt() throws {
        let recorder = StepRecorder()
        let trainer = Trainer(
            model: xorModel(seed: 1), loss: LossRegistry.loss(named: "mse")!, optimizer: SGD(learningRate: 0.1), callbacks: [recorder])
        var configuration = PipelineConfiguration()
        configuration.batchSize = 1
        configuration.epochs = 5
        let pipeline = try BatchPipeline(dataset: TensorDataset(features: xorInputs, labels: xorLabels), configuration: configuration)
        var steps = 0
        let summary = try trainer.fit(
            pipeline,
            shouldStop: {
                steps += 1
                return steps == 6
            })
        XCTAssertTrue(summary.interrupted)
        XCTAssertEqual(summary.steps, 6)
        XCTAssertEqual(recorder.events.suffix(2), ["interrupted", "ended"])
        XCTAssertEqual(summary.pipelineState.epoch, 1)
        XCTAssertEqual(summary.pipelineState.position, 2)
    }
}
