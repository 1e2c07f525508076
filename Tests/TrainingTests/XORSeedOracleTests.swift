import Foundation
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// The seed's TensorFlow example against the float64 NumPy reference in
/// `Tests/Fixtures/xor-seed.json` (made by `Tests/Fixtures/make_xor_oracle.py`; copied from
/// the project's shared oracles).
final class XORSeedOracleTests: XCTestCase {
    struct Oracle: Decodable {
        struct Weights: Decodable {
            var m1: [[Double]]
            var b1: [Double]
            var m2: [[Double]]
            var b2: [Double]
        }
        var initial: Weights
        var lossAtStep: [String: Double]
        var finalWeights: Weights
        var finalOutputs: [Double]

        enum CodingKeys: String, CodingKey {
            case initial = "init"
            case lossAtStep = "loss_at_step"
            case finalWeights = "final_weights"
            case finalOutputs = "final_outputs"
        }
    }

    private func matrix(_ rows: [[Double]]) -> Tensor { Tensor(rows.map { $0.map(Float.init) }) }

    func testLossCurveAndFinalWeightsMatchFloat64Reference() throws {
        let oracle = try JSONDecoder().decode(Oracle.self, from: Fixtures.data("xor-seed.json"))
        // Row-vector convention H = σ(X·m1 + b1): our Dense weight is m1ᵀ.
        let hidden = try Dense(weight: matrix(oracle.initial.m1).transposed(), bias: Tensor(oracle.initial.b1.map(Float.init)))
        let output = try Dense(weight: matrix(oracle.initial.m2).transposed(), bias: Tensor(oracle.initial.b2.map(Float.init)))
        let model = Sequential(hidden, Sigmoid(), output, Sigmoid())
        let inputs = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        let targets = Tensor([[0], [1], [1], [0]])
        // Full-batch gradient descent: the whole set as one batch, in order, through the training loop.
        let (_, recorder) = try train(
            model, loss: LossRegistry.loss(named: "sum-of-squares")!, optimizer: SGD(learningRate: 1.0), features: inputs,
            labels: [0, 1, 1, 0], epochs: 500, batchSize: nil)
        var losses = recorder.losses
        losses[500] = SumOfSquares().evaluate(model(inputs), target: targets).value

        XCTAssertEqual(oracle.lossAtStep.count, 5)
        for (step, expected) in oracle.lossAtStep {
            let actual = try XCTUnwrap(losses[Int(step)!])
            XCTAssertLessThanOrEqual(abs(Double(actual) - expected) / expected, 1e-4, "loss at step \(step): \(actual) vs \(expected)")
        }
        let finals: [(Tensor, [[Double]])] = [
            (hidden.weight.value, oracle.finalWeights.m1.transposedRows), (hidden.bias!.value.reshaped(to: [1, 3]), [oracle.finalWeights.b1]),
            (output.weight.value, oracle.finalWeights.m2.transposedRows), (output.bias!.value.reshaped(to: [1, 1]), [oracle.finalWeights.b2]),
        ]
        for (actual, expected) in finals {
            for (a, e) in zip(actual.scalars, expected.flatMap { $0 }) { XCTAssertEqual(Double(a), e, accuracy: 1e-3) }
        }
        for (a, e) in zip(model(inputs).scalars, oracle.finalOutputs) { XCTAssertEqual(Double(a), e, accuracy: 1e-3) }
    }
}

extension Array where Element == [Double] {
    var transposedRows: [[Double]] {
        guard let width = first?.count else { return [] }
        return (0..<width).map { column in map { $0[column] } }
    }
}
