import Layers
import Optimizers
import Tensors
import XCTest

/// The extension story for optimizers: sign descent with a running step count per parameter,
/// in about 20 lines.
final class SignDescent: Optimizer {
    var learningRate: Float
    var state = OptimizerState()

    init(learningRate: Float) { self.learningRate = learningRate }

    func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        parameter.value -= parameter.gradient.map { $0 > 0 ? learningRate : ($0 < 0 ? -learningRate : 0) }
        slots["updates", default: Tensor(0)] += Tensor(1)
    }
}

final class CustomOptimizerTests: XCTestCase {
    func testUserWrittenOptimizerUpdatesAndKeepsStateByName() {
        let holder = Holder(Tensor([1, -1, 0]))
        let optimizer = SignDescent(learningRate: 0.5)
        holder.value.gradient = Tensor([2, -3, 0])
        optimizer.step(holder)
        optimizer.step(holder)
        XCTAssertEqual(holder.value.value.scalars, [0, 0, 0])
        XCTAssertEqual(optimizer.state.slots["w"]?["updates"]?.scalar, 2)
        XCTAssertEqual(optimizer.state.step, 2)
    }
}
