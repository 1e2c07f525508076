import Layers
import Tensors
import TestSupport
import XCTest

/// Layers keep to the forward context's gradient chunks: for a batch of 10 in chunks of 4
/// (4, 4, 2), each chunk's output rows, input gradient rows and dropout mask are the bits of that
/// chunk run on its own, and the parameter gradients are the chunk-alone gradients added up the
/// tree, ((g0 + g1) + g2), written out here. That is what makes a rank's share of a batch compute
/// the same bits as the whole batch.
final class GradientChunkTests: XCTestCase {
    private let chunks = [0..<4, 4..<8, 8..<10]

    private func context(chunkSize: Int, generators: [RandomGenerator] = []) -> ForwardContext {
        let context = ForwardContext(isTraining: true)
        context.chunkSize = chunkSize
        context.chunkGenerators = generators
        return context
    }

    /// Runs `layer` on the whole batch and on each chunk alone (fresh gradients each time) and
    /// compares outputs, input gradients and parameter gradients bit for bit.
    private func checkKeepsToChunks(_ layer: any Layer, input: Tensor, upstream: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(layer.keepsToGradientChunks, file: file, line: line)
        layer.zeroGradients()
        let (output, pullback) = layer.forward(input, context: context(chunkSize: 4))
        let inputGradient = pullback(upstream)
        let whole = layer.namedParameters.map(\.parameter.gradient.scalars)
        var alone: [[[Float]]] = []
        for chunk in chunks {
            layer.zeroGradients()
            let (chunkOutput, chunkPullback) = layer.forward(input.rows(chunk), context: context(chunkSize: 4))
            XCTAssertEqual(output.rows(chunk).scalars, chunkOutput.scalars, "output rows \(chunk)", file: file, line: line)
            XCTAssertEqual(
                inputGradient.rows(chunk).scalars, chunkPullback(upstream.rows(chunk)).scalars, "input gradient \(chunk)", file: file, line: line)
            alone.append(layer.namedParameters.map(\.parameter.gradient.scalars))
        }
        for (index, gradient) in whole.enumerated() {
            // Each chunk-alone gradient is 0 + its chunk value; the tree: (g0 + g1) + g2.
            let tree = zip(zip(alone[0][index], alone[1][index]).map(+), alone[2][index]).map(+)
            XCTAssertEqual(gradient, tree, "parameter \(index)", file: file, line: line)
        }
    }

    func testDenseKeepsToChunks() {
        let dense = Dense(weight: .random([5, 7], seed: 1), bias: .random([5], seed: 2))
        checkKeepsToChunks(dense, input: .random([10, 7], seed: 3), upstream: .random([10, 5], seed: 4))
    }

    func testConv2DKeepsToChunks() {
        var generator = RandomGenerator(seed: 5)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator)
        checkKeepsToChunks(conv, input: .random([10, 2, 5, 5], seed: 6), upstream: .random([10, 3, 5, 5], seed: 7))
    }

    func testSequentialOfChunkedLayersKeepsToChunks() {
        var generator = RandomGenerator(seed: 8)
        let model = Sequential(
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &generator), ReLU(), MaxPool2D(kernelSize: 2), Flatten(),
            Dense(inputSize: 8, outputSize: 3, generator: &generator))
        checkKeepsToChunks(model, input: .random([10, 1, 6, 6], seed: 9), upstream: .random([10, 3], seed: 10))
    }

    /// Chunk k's mask comes from chunk k's generator: the same as that chunk alone with that generator.
    func testDropoutDrawsEachChunkFromItsOwnGenerator() {
        let dropout = Dropout(probability: 0.5)
        let input = Tensor(shape: [10, 6], repeating: 1)
        let generators = (0..<3).map { RandomGenerator(seed: 11, stream: [UInt64($0)]) }
        let whole = dropout.forward(input, context: context(chunkSize: 4, generators: generators)).output
        for (index, chunk) in chunks.enumerated() {
            let alone = dropout.forward(input.rows(chunk), context: context(chunkSize: 4, generators: [generators[index]])).output
            XCTAssertEqual(whole.rows(chunk).scalars, alone.scalars, "chunk \(index)")
        }
        // Each element is 0 or 2, and the chunks' masks are not all the same.
        XCTAssertTrue(whole.scalars.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertNotEqual(whole.rows(0..<2).scalars, whole.rows(4..<6).scalars)
    }

    /// A custom layer with parameters does not claim to keep to chunks (the training step then
    /// runs it chunk by chunk); one without parameters does.
    func testCustomLayersDeclareWhetherTheyKeepToChunks() {
        XCTAssertFalse(PReLU(features: 3).keepsToGradientChunks)
        XCTAssertTrue(ReLU().keepsToGradientChunks)
        XCTAssertFalse(Sequential(ReLU(), PReLU(features: 3)).keepsToGradientChunks)
    }
}
