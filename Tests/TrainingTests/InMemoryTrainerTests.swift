import Layers
import Optimizers
import Tensors
import TestSupport
@testable import Training
import XCTest

final class InMemoryTrainerTests: XCTestCase {
    private let xorInputs = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    private let xorTargets = Tensor([[0], [1], [1], [0]])

    private func xorModel(seed: UInt64) -> Sequential {
        var generator = RandomGenerator(seed: seed)
        return Sequential(
            Dense(inputSize: 2, outputSize: 8, weightInitializer: .xavierUniform, generator: &generator), Tanh(),
            Dense(inputSize: 8, outputSize: 1, weightInitializer: .xavierUniform, generator: &generator), Sigmoid())
    }

    func testStepCountsPerUpdateMode() throws {
        for (mode, expected) in [(UpdateMode.everySample, 10 * 3), (.fullBatch, 3), (.miniBatch(size: 4), 3 * 3)] {
            let trainer = InMemoryTrainer(model: xorModel(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1))
            let inputs = Tensor.random([10, 2], seed: 1), targets = Tensor.random([10, 1], seed: 2)
            let losses = try trainer.fit(inputs: inputs, targets: targets, epochs: 3, mode: mode)
            XCTAssertEqual(trainer.stepCount, expected, "\(mode)")
            XCTAssertEqual(losses.count, 3)
        }
    }

    func testMiniBatchOrderIsSeededAndChangesEveryEpoch() {
        let trainer = InMemoryTrainer(model: xorModel(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), seed: 42)
        let again = InMemoryTrainer(model: xorModel(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), seed: 42)
        let epoch0 = trainer.batchIndices(count: 10, epoch: 0, mode: .miniBatch(size: 4))
        XCTAssertEqual(epoch0.map(\.count), [4, 4, 2])
        XCTAssertEqual(epoch0.flatMap { $0 }.sorted(), Array(0..<10))
        XCTAssertEqual(epoch0, again.batchIndices(count: 10, epoch: 0, mode: .miniBatch(size: 4)))
        XCTAssertNotEqual(epoch0, trainer.batchIndices(count: 10, epoch: 1, mode: .miniBatch(size: 4)))
    }

    func testFullBatchStepEqualsHandComputedGradientDescent() throws {
        // One step on y = w·x + b with MSE ½(y - t)² averaged: ∂/∂w = mean((y - t)·x).
        let model = Dense(weight: Tensor([[2]]), bias: Tensor([1]))
        let inputs = Tensor([[1], [3]]), targets = Tensor([[0], [1]])
        // y = [3, 7]; y - t = [3, 6]; ∂w = (3·1 + 6·3) / 2 = 10.5; ∂b = (3 + 6) / 2 = 4.5.
        let trainer = InMemoryTrainer(model: model, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1))
        try trainer.fit(inputs: inputs, targets: targets, epochs: 1, mode: .fullBatch)
        XCTAssertEqual(model.weight.value.scalar, 2 - 1.05, accuracy: 1e-6)
        XCTAssertEqual(model.bias!.value.scalar, 1 - 0.45, accuracy: 1e-6)
    }

    func testXORConvergesInEveryUpdateMode() throws {
        for mode in [UpdateMode.everySample, .fullBatch, .miniBatch(size: 2)] {
            let model = xorModel(seed: 3)
            let trainer = InMemoryTrainer(model: model, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.5, momentum: 0.9), seed: 5)
            try trainer.fit(inputs: xorInputs, targets: xorTargets, epochs: mode == .fullBatch ? 1500 : 600, mode: mode)
            let predictions = model(xorInputs).scalars.map { $0 > 0.5 ? Float(1) : 0 }
            XCTAssertEqual(predictions, xorTargets.scalars, "\(mode)")
        }
    }

    func testClassifierWithCrossEntropyAndAdamAndSchedule() throws {
        // Two Gaussian-free, linearly separable clusters: label = x₀ + x₁ > 0.
        let inputs = Tensor.random([100, 2], seed: 7)
        let labels = (0..<100).map { inputs[$0, 0] + inputs[$0, 1] > 0 ? 1 : 0 }
        var generator = RandomGenerator(seed: 8)
        let model = Sequential(Dense(inputSize: 2, outputSize: 16, weightInitializer: .heUniform, generator: &generator), ReLU(),
                               Dense(inputSize: 16, outputSize: 2, generator: &generator))
        let trainer = InMemoryTrainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.05),
                                      schedule: CosineDecay(initial: 0.05, minimum: 0.005, totalSteps: 500), seed: 9)
        var rates: [Float] = []
        let losses = try trainer.fit(inputs: inputs, targets: labels, epochs: 50, mode: .miniBatch(size: 10)) { rates.append($0.learningRate) }
        XCTAssertLessThan(losses.last!, losses.first! / 4)
        XCTAssertEqual(rates.first, 0.05)
        XCTAssertEqual(rates.last!, 0.005, accuracy: 1e-4)
        let accuracy = zip(model(inputs).argmax(alongAxis: 1), labels).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(accuracy, 97)
    }

    func testMismatchedDataIsATypedError() {
        let trainer = InMemoryTrainer(model: xorModel(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1))
        XCTAssertThrowsError(try trainer.fit(inputs: xorInputs, targets: Tensor([[0]]), epochs: 1, mode: .fullBatch)) {
            XCTAssertEqual($0 as? InMemoryTrainerError, .sampleCountMismatch(inputs: 4, targets: 1))
        }
        XCTAssertThrowsError(try trainer.fit(inputs: xorInputs, targets: xorTargets, epochs: 1, mode: .miniBatch(size: 0)))
    }
}
