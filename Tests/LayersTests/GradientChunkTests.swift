import Layers
import Tensors
import TestSupport
import XCTest

/// Layers keep to the forward context's gradient chunks: for a batch of 10 in chunks of 4
/// (4, 4, 2) or 6 (6, 4), each chunk's output rows, input gradient rows and dropout mask are the bits of that
/// chunk run on its own, and the parameter gradients are the chunk-alone gradients added up the
/// tree, ((g0 + g1) + g2), written out here. That is what makes a rank's share of a batch compute
/// the same bits as the whole batch.
final class GradientChunkTests: XCTestCase {

    /// A training context whose chunks cut `rows` rows into runs of `chunkSize` (the last may be
    /// shorter; no rows are one empty chunk).
    private func context(rows: Int, chunkSize: Int, generators: [RandomGenerator] = []) -> ForwardContext {
        let context = ForwardContext(isTraining: true)
        context.chunkRows = rows == 0 ? [0..<0] : stride(from: 0, to: rows, by: chunkSize).map { $0..<min($0 + chunkSize, rows) }
        context.chunkGenerators = generators
        return context
    }

    /// Runs `layer` on the whole batch and on each chunk alone (fresh gradients each time) and
    /// compares outputs, input gradients and parameter gradients bit for bit. The batch has 10
    /// rows; `chunkSize` 4 gives chunks 4, 4, 2 and 6 gives 6, 4. Returns the whole batch's
    /// parameter gradients.
    @discardableResult
    private func checkKeepsToChunks(
        _ layer: any Layer, input: Tensor, upstream: Tensor, chunkSize: Int = 4, file: StaticString = #filePath, line: UInt = #line
    ) -> [[Float]] {
        let chunks = stride(from: 0, to: 10, by: chunkSize).map { $0..<min($0 + chunkSize, 10) }
        XCTAssertTrue(layer.keepsToGradientChunks, file: file, line: line)
        layer.zeroGradients()
        let (output, pullback) = layer.forward(input, context: context(rows: 10, chunkSize: chunkSize))
        let inputGradient = pullback(upstream)
        let whole = layer.namedParameters.map(\.parameter.gradient.scalars)
        var alone: [[[Float]]] = []
        for chunk in chunks {
            layer.zeroGradients()
            let (chunkOutput, chunkPullback) = layer.forward(input.rows(chunk), context: context(rows: chunk.count, chunkSize: chunkSize))
            XCTAssertEqual(output.rows(chunk).scalars, chunkOutput.scalars, "output rows \(chunk)", file: file, line: line)
            XCTAssertEqual(
                inputGradient.rows(chunk).scalars, chunkPullback(upstream.rows(chunk)).scalars, "input gradient \(chunk)", file: file, line: line)
            alone.append(layer.namedParameters.map(\.parameter.gradient.scalars))
        }
        for (index, gradient) in whole.enumerated() {
            // Each chunk-alone gradient is 0 + its chunk value; the tree: (g0 + g1) + g2, or g0 + g1.
            var tree = zip(alone[0][index], alone[1][index]).map(+)
            if alone.count == 3 { tree = zip(tree, alone[2][index]).map(+) }
            XCTAssertEqual(gradient, tree, "parameter \(index)", file: file, line: line)
        }
        return whole
    }

    /// Also the values: the weight gradient Σ_r dy[r][o]·x[r][i] and the bias gradient Σ_r dy[r][o]
    /// in float64, within 1e-5.
    func testDenseKeepsToChunks() throws {
        let dense = try Dense(weight: .random([5, 7], seed: 1), bias: .random([5], seed: 2))
        let (x, dy) = (Tensor.random([10, 7], seed: 3), Tensor.random([10, 5], seed: 4))
        let gradients = checkKeepsToChunks(dense, input: x, upstream: dy)
        for o in 0..<5 {
            for i in 0..<7 {
                let exact = (0..<10).reduce(0.0) { $0 + Double(dy[flat: $1 * 5 + o]) * Double(x[flat: $1 * 7 + i]) }
                XCTAssertEqual(Double(gradients[0][o * 7 + i]), exact, accuracy: 1e-5)
            }
            XCTAssertEqual(Double(gradients[1][o]), (0..<10).reduce(0.0) { $0 + Double(dy[flat: $1 * 5 + o]) }, accuracy: 1e-5)
        }
    }

    /// Chunks of 6 (6 and 4 images): the first chunk is two of the convolution's work units (4 and
    /// 2 images), added before the chunk tree. The weight gradient against a direct float64 loop:
    /// dW[o][c][u][v] = Σ_n Σ_y Σ_x dy[n][o][y][x] · x[n][c][y+u-1][x+v-1] (zero outside).
    func testConv2DKeepsToChunks() {
        // 5x5 runs as im2col and a product per image; 4x16 directly (DirectConvolution).
        for (height, width) in [(5, 5), (4, 16)] { assertConv2DKeepsToChunks(height: height, width: width) }
    }

    private func assertConv2DKeepsToChunks(height: Int, width: Int) {
        var generator = RandomGenerator(seed: 5)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator)
        let (x, dy) = (Tensor.random([10, 2, height, width], seed: 6), Tensor.random([10, 3, height, width], seed: 7))
        checkKeepsToChunks(conv, input: x, upstream: dy)
        let gradients = checkKeepsToChunks(conv, input: x, upstream: dy, chunkSize: 6)
        for o in 0..<3 {
            for c in 0..<2 {
                for u in 0..<3 {
                    for v in 0..<3 {
                        var exact = 0.0
                        for n in 0..<10 {
                            for y in 0..<height {
                                for column in 0..<width {
                                    let (row, col) = (y + u - 1, column + v - 1)
                                    guard (0..<height).contains(row), (0..<width).contains(col) else { continue }
                                    exact +=
                                        Double(dy[flat: ((n * 3 + o) * height + y) * width + column])
                                        * Double(x[flat: ((n * 2 + c) * height + row) * width + col])
                                }
                            }
                        }
                        XCTAssertEqual(Double(gradients[0][((o * 2 + c) * 3 + u) * 3 + v]), exact, accuracy: 1e-4)
                    }
                }
            }
        }
    }

    /// An empty batch runs forward and backward and leaves the gradients as they were.
    func testConv2DTakesAnEmptyBatch() {
        var generator = RandomGenerator(seed: 14)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator)
        conv.zeroGradients()
        let (output, pullback) = conv.forward(Tensor(shape: [0, 2, 5, 5]), context: context(rows: 0, chunkSize: 4))
        XCTAssertEqual(output.shape, [0, 3, 5, 5])
        XCTAssertEqual(pullback(Tensor(shape: [0, 3, 5, 5])).shape, [0, 2, 5, 5])
        XCTAssertTrue(conv.weight.gradient.scalars.allSatisfy { $0 == 0 })
    }

    func testSequentialOfChunkedLayersKeepsToChunks() {
        var generator = RandomGenerator(seed: 8)
        let model = Sequential(
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, generator: &generator), ReLU(), MaxPool2D(kernelSize: 2), Flatten(),
            Dense(inputSize: 8, outputSize: 3, generator: &generator))
        checkKeepsToChunks(model, input: .random([10, 1, 6, 6], seed: 9), upstream: .random([10, 3], seed: 10))
    }

    /// Chunk k's mask comes from chunk k's generator: the same as that chunk alone with that generator.
    func testDropoutDrawsEachChunkFromItsOwnGenerator() throws {
        let dropout = try Dropout(probability: 0.5)
        let input = Tensor(shape: [10, 6], repeating: 1)
        let generators = (0..<3).map { RandomGenerator(seed: 11, stream: [UInt64($0)]) }
        let whole = dropout.forward(input, context: context(rows: 10, chunkSize: 4, generators: generators)).output
        for (index, chunk) in [0..<4, 4..<8, 8..<10].enumerated() {
            let alone = dropout.forward(input.rows(chunk), context: context(rows: chunk.count, chunkSize: 4, generators: [generators[index]])).output
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
