import DataPipeline
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A container that does not claim to keep to gradient chunks (as a custom layer may not): the
/// training step then runs it chunk by chunk and adds its chunks' gradients up the tree.
final class ChunkByChunk: Layer {
    let inner: any Layer
    init(_ inner: any Layer) { self.inner = inner }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) { inner.forward(input, context: context) }
    func visitParameters(_ visitor: (String, Parameter) -> Void) { inner.visitParameters(visitor) }
    func visitBuffers(_ visitor: (String, Buffer) -> Void) { inner.visitBuffers(visitor) }
    var keepsToGradientChunks: Bool { false }
}

/// The step computes a whole batch (the plain run's case: one claim) with layers that keep to
/// the chunks, and a layer that does not keep to them chunk by chunk, each chunk a batch of its
/// own as on a rank that holds single chunks. Both must give the same bits: the first through the
/// layers' in-place tree sums, the second through the step's tree over chunk gradients.
final class ChunkedStepTests: XCTestCase {
    private func batches() -> [Batch] {
        // Batches of 20 in chunks of 8 (8, 8, 4: an unbalanced tree, and chunks of two convolution
        // work units), and a last batch of 7 (one chunk).
        (0..<4).map { index in
            let count = index == 3 ? 7 : 20
            return Batch(features: .random([count, 1, 6, 6], seed: UInt64(100 + index)), labels: (0..<count).map { ($0 * 7 + index) % 3 })
        }
    }

    private func convolutionModel() throws -> Sequential {
        var generator = RandomGenerator(seed: 12)
        return Sequential(
            Conv2D(inputChannels: 1, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator), ReLU(),
            try Dropout(probability: 0.25), MaxPool2D(kernelSize: 2), Flatten(), Dense(inputSize: 27, outputSize: 3, generator: &generator))
    }

    private func train(_ model: any Layer) throws -> (losses: [Float], parameters: [[Float]]) {
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01), seed: 9)
        trainer.chunkSize = 8
        var losses: [Float] = []
        for batch in batches() { losses.append(try trainer.step(batch).loss) }
        return (losses, model.namedParameters.map(\.parameter.value.scalars))
    }

    func testWholeBatchStepMatchesTheChunkByChunkStepBitForBit() throws {
        let whole = try train(try convolutionModel())
        let byChunk = try train(ChunkByChunk(try convolutionModel()))
        XCTAssertEqual(whole.losses, byChunk.losses)
        XCTAssertEqual(whole.parameters, byChunk.parameters)
        XCTAssertNotEqual(whole.parameters, try convolutionModel().namedParameters.map(\.parameter.value.scalars), "the steps moved the weights")
    }

    /// With batch normalisation (layer by layer, statistics over the whole batch) and one layer
    /// run chunk by chunk, the same bits as all layers run over the whole batch.
    func testBatchNormModelMatchesWithALayerRunChunkByChunk() throws {
        let whole = try train(batchNormModel(wrapped: false))
        let byChunk = try train(batchNormModel(wrapped: true))
        XCTAssertEqual(whole.losses, byChunk.losses)
        XCTAssertEqual(whole.parameters, byChunk.parameters)
    }

    /// A global batch of 12 in chunks of 4 whose samples 4-7 (all of chunk 1) and 9 were left out
    /// as bad: the chunks stay at their positions, chunk 1 is empty (an empty unit when run chunk
    /// by chunk), and the step's loss is the mean over the 7 kept samples. Both paths give the
    /// same bits, with and without batch normalisation.
    func testLeftOutSamplesKeepTheChunksInPlace() throws {
        let kept = [0, 1, 2, 3, 8, 10, 11]
        let features = Tensor.random([12, 1, 6, 6], seed: 200).gathering(rows: kept)
        let labels = kept.map { $0 % 3 }
        func batch() -> Batch {
            var batch = Batch(features: features, labels: labels)
            batch.globalCount = 12
            batch.keptPositions = kept
            return batch
        }
        func run(_ model: any Layer) throws -> (loss: Float, parameters: [[Float]]) {
            let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), seed: 4)
            trainer.chunkSize = 4
            let loss = try trainer.step(batch()).loss
            XCTAssertEqual(trainer.lastStepSamples, 7)
            return (loss, model.namedParameters.map(\.parameter.value.scalars))
        }
        // The loss before the update: the mean over the kept samples (no dropout in this model).
        func plainModel() -> Sequential {
            var generator = RandomGenerator(seed: 12)
            return Sequential(
                Conv2D(inputChannels: 1, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator), ReLU(),
                MaxPool2D(kernelSize: 2), Flatten(), Dense(inputSize: 27, outputSize: 3, generator: &generator))
        }
        let expected = SoftmaxCrossEntropy().evaluate(plainModel()(features), target: labels).value
        let whole = try run(plainModel())
        XCTAssertEqual(whole.loss, expected, accuracy: 1e-6)
        // The update is that of the mean loss over the kept samples: an ordinary step on the 7
        // kept rows alone (one chunk) moves the weights the same, up to rounding.
        let alone = plainModel()
        let ordinary = Trainer(model: alone, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1), seed: 4)
        ordinary.chunkSize = 7
        _ = try ordinary.step(Batch(features: features, labels: labels))
        for (a, b) in zip(whole.parameters, alone.namedParameters.map(\.parameter.value.scalars)) {
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
        XCTAssertNotEqual(whole.parameters, plainModel().namedParameters.map(\.parameter.value.scalars))
        let byChunk = try run(ChunkByChunk(plainModel()))
        XCTAssertEqual(whole.loss, byChunk.loss)
        XCTAssertEqual(whole.parameters, byChunk.parameters)
        let normWhole = try run(batchNormModel(wrapped: false))
        let normByChunk = try run(batchNormModel(wrapped: true))
        XCTAssertEqual(normWhole.loss, normByChunk.loss)
        XCTAssertEqual(normWhole.parameters, normByChunk.parameters)
    }

    /// Flatten, dense (run chunk by chunk when `wrapped`), batch normalisation, ReLU and dense,
    /// for 1×6×6 samples and 3 classes (seed 13).
    private func batchNormModel(wrapped: Bool) -> Sequential {
        var generator = RandomGenerator(seed: 13)
        let first = Dense(inputSize: 36, outputSize: 8, generator: &generator)
        return Sequential(
            Flatten(), wrapped ? ChunkByChunk(first) : first, BatchNorm(features: 8), ReLU(),
            Dense(inputSize: 8, outputSize: 3, generator: &generator))
    }
}
