import DataPipeline
import Layers
import Optimizers
import Tensors
import Training
import XCTest

/// The training step around `SynchronizedBatchNorm` (the layer itself: DistributedTests).
extension ChunkedStepTests {
    /// One SGD step of dense → (batchnorm → relu) → dense on 10 samples: the step with chunks
    /// of 3 and with one chunk of 10 (the whole batch) give the same loss, weights and
    /// running statistics up to rounding (1e-5).
    func testChunkedStepMatchesTheWholeBatchStep() throws {
        func makeModel() throws -> Sequential {
            Sequential(
                try Dense(weight: .random([6, 4], seed: 21), bias: .random([6], seed: 22)),
                Sequential(BatchNorm(features: 6), ReLU()),
                try Dense(weight: .random([3, 6], seed: 23), bias: .random([3], seed: 24)))
        }
        let batch = Batch(features: .random([10, 4], seed: 25, lower: -3, upper: 3), labels: [0, 1, 2, 0, 1, 2, 2, 1, 0, 0])
        let chunked = Trainer(model: try makeModel(), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5))
        chunked.chunkSize = 3
        let whole = Trainer(model: try makeModel(), loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5))
        whole.chunkSize = 10
        let chunkedResult = try chunked.step(batch)
        let wholeResult = try whole.step(batch)
        XCTAssertEqual(chunkedResult.loss, wholeResult.loss, accuracy: 1e-5)
        XCTAssertEqual(chunkedResult.correct, wholeResult.correct)
        let pairs = zip(chunked.model.namedParameters, whole.model.namedParameters)
        XCTAssertEqual(pairs.map(\.0.name), ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "2.weight", "2.bias"])
        for (a, b) in pairs {
            // The step moved every parameter but the bias before the normalisation, whose gradient is 0
            // (a per-channel constant is subtracted away); rounding may leave it a few ulps off in either.
            if a.name != "0.bias" {
                XCTAssertNotEqual(a.parameter.value.scalars, try makeModel().namedParameters.first { $0.name == a.name }?.parameter.value.scalars)
            }
            for (x, y) in zip(a.parameter.value.scalars, b.parameter.value.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5, a.name) }
        }
        for (a, b) in zip(chunked.model.namedBuffers, whole.model.namedBuffers) {
            for (x, y) in zip(a.buffer.value.scalars, b.buffer.value.scalars) { XCTAssertEqual(x, y, accuracy: 1e-6, a.name) }
        }
    }
}
