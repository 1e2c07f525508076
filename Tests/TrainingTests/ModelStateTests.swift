import Checkpoints
import Layers
import Optimizers
import Tensors
import Training
import XCTest

/// A model's and an optimizer's state as the named tensors a checkpoint holds (`ModelState.swift`).
final class ModelStateTests: XCTestCase {
    func testStrictLoadingListsEveryProblemAndNonStrictLoadsWhatFits() throws {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(
            Dense(inputSize: 3, outputSize: 2, generator: &generator), ReLU(), Dense(inputSize: 2, outputSize: 1, generator: &generator))
        let saved = model.stateTensors()
        let other = Sequential(
            Dense(inputSize: 3, outputSize: 2, generator: &generator), ReLU(), Dense(inputSize: 2, outputSize: 1, generator: &generator))
        try other.loadState(saved)
        XCTAssertEqual(other.stateTensors(), saved)
        var damaged = saved.filter { $0.name != "2.bias" }
        damaged[0] = NamedTensor("0.weight", Tensor(shape: [9, 9]))
        damaged.append(NamedTensor("9.extra", Tensor([1])))
        let before = other.stateTensors()
        XCTAssertThrowsError(try other.loadState(damaged)) { error in
            let reason = (error as? CheckpointError)?.reason ?? ""
            XCTAssertTrue(
                reason.contains("missing 2.bias") && reason.contains("unexpected 9.extra")
                    && reason.contains("0.weight: model [2, 3], checkpoint [9, 9]"), reason)
        }
        XCTAssertEqual(other.stateTensors(), before, "a failed strict load changes nothing")
        let report = try other.loadState(damaged, strict: false)
        XCTAssertEqual(report.missing, ["2.bias"])
        XCTAssertEqual(report.unexpected, ["9.extra"])
        XCTAssertEqual(report.loaded, ["0.bias", "2.weight"])
    }

    func testOptimizerStateRoundTripsThroughTensors() {
        let state = OptimizerState(
            step: 7, slots: ["0.weight": ["exp_avg": Tensor([1, 2]), "exp_avg_sq": Tensor([3, 4])], "1.bias": ["momentum_buffer": Tensor([5])]])
        XCTAssertEqual(state.tensors.map(\.name), ["0.weight.exp_avg", "0.weight.exp_avg_sq", "1.bias.momentum_buffer"])
        XCTAssertEqual(OptimizerState(tensors: state.tensors, step: 7), state)
    }
}
