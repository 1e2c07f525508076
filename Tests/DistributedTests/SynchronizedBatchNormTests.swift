import DataPipeline
import Distributed
import Layers
import Tensors
import TestSupport
import XCTest

/// Batch normalisation of a batch cut into chunks, against a float64 reference written out in
/// this file (mean, biased variance, x̂ = (x - mean)/√(var + ε), the textbook input gradient
/// γ/σ·(dy - mean(dy) - x̂·mean(dy·x̂))) and against the whole-batch layer.
final class SynchronizedBatchNormTests: XCTestCase {
    /// 10 samples of 3 channels on 2×2 planes in chunks of 3 (3, 3, 3 and a last chunk of 1).
    func testChunkedForwardAndBackwardMatchTheWholeBatch() throws {
        let shape = [10, 3, 2, 2]
        let (batch, channels, plane) = (10, 3, 4)
        let input = Tensor.random(shape, seed: 11, lower: -2, upper: 3)
        let upstream = Tensor.random(shape, seed: 12)
        let gamma = Tensor.random([channels], seed: 13, lower: 0.5, upper: 1.5)
        let beta = Tensor.random([channels], seed: 14)
        func makeLayer() -> BatchNorm {
            let layer = BatchNorm(features: channels)
            layer.weight.value = gamma
            layer.bias.value = beta
            return layer
        }
        let plan = ChunkPlan(sampleCount: batch, chunkSize: 3, rankCount: 1)
        let chunked = makeLayer()
        let synchronized = SynchronizedBatchNorm(layer: chunked, plan: plan, communicator: SingleProcess())
        let rows = (0..<plan.chunkCount).map { plan.samples(ofChunk: $0) }
        // Each chunk a unit of its own: its rows are the whole unit.
        let (outputs, pullback) = try synchronized.forward(rows.map { input.rows($0) }, chunkRows: rows.map { [0..<$0.count] })
        let (inputGradients, parameterGradients) = try pullback(rows.map { upstream.rows($0) })
        XCTAssertEqual(outputs.compactMap { $0 }.count, plan.chunkCount)
        XCTAssertEqual(inputGradients.compactMap { $0 }.count, plan.chunkCount)
        let output = outputs.flatMap { $0?.scalars ?? [] }
        let inputGradient = inputGradients.flatMap { $0?.scalars ?? [] }

        // The float64 reference.
        let x = input.scalars.map(Double.init)
        let dy = upstream.scalars.map(Double.init)
        let count = Double(batch * plane)
        func indices(_ c: Int) -> [Int] { (0..<batch).flatMap { n in (0..<plane).map { (n * channels + c) * plane + $0 } } }
        for c in 0..<channels {
            let at = indices(c)
            let mean = at.map { x[$0] }.reduce(0, +) / count
            let variance = at.map { (x[$0] - mean) * (x[$0] - mean) }.reduce(0, +) / count
            let sigma = (variance + 1e-5).squareRoot()
            let xhat = at.map { (x[$0] - mean) / sigma }
            let meanDy = at.map { dy[$0] }.reduce(0, +) / count
            let meanDyXhat = zip(at, xhat).map { dy[$0] * $1 }.reduce(0, +) / count
            for (k, i) in at.enumerated() {
                XCTAssertEqual(Double(output[i]), Double(gamma[c]) * xhat[k] + Double(beta[c]), accuracy: 1e-5, "output \(i)")
                let expected = Double(gamma[c]) / sigma * (dy[i] - meanDy - xhat[k] * meanDyXhat)
                XCTAssertEqual(Double(inputGradient[i]), expected, accuracy: 1e-5, "input gradient \(i)")
            }
            // Chunk gradients of γ (first) and β (second) add up to Σdy·x̂ and Σdy.
            let dgamma = parameterGradients.map { Double($0[c]) }.reduce(0, +)
            let dbeta = parameterGradients.map { Double($0[channels + c]) }.reduce(0, +)
            XCTAssertEqual(dgamma, meanDyXhat * count, accuracy: 1e-4)
            XCTAssertEqual(dbeta, meanDy * count, accuracy: 1e-4)
            // One running update with the global statistics (unbiased variance).
            XCTAssertEqual(Double(chunked.runningMean.value[c]), 0.1 * mean, accuracy: 1e-6)
            XCTAssertEqual(Double(chunked.runningVariance.value[c]), 0.9 + 0.1 * variance * count / (count - 1), accuracy: 1e-6)
        }

        // The whole-batch layer on the same batch.
        let whole = makeLayer()
        let (wholeOutput, wholePullback) = whole.forward(input, context: ForwardContext(isTraining: true))
        let wholeGradient = wholePullback(upstream)
        for (a, b) in zip(output, wholeOutput.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(inputGradient, wholeGradient.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(chunked.runningMean.value.scalars, whole.runningMean.value.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        for (a, b) in zip(chunked.runningVariance.value.scalars, whole.runningVariance.value.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}
