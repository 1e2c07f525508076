import Optimizers
import Tensors
import XCTest

/// Unusable optimizer and schedule arguments are an `ArgumentError` naming the call, the
/// argument and the values, never a trap.
final class OptimizerArgumentTests: XCTestCase {
    private func assertError(
        _ body: @autoclosure () throws -> some Any, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is ArgumentError, "\(type(of: error))", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' missing from: \(error)", file: file, line: line)
            }
        }
    }

    func testNesterovNeedsMomentumAndNoDampening() throws {
        let call = "SGD(learningRate:momentum:dampening:nesterov:weightDecay:): nesterov is true"
        assertError(try SGD(learningRate: 0.1, nesterov: true), [call, "momentum 0.0 and dampening 0.0", "give a momentum such as 0.9"])
        assertError(try SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.5, nesterov: true), [call, "momentum 0.9 and dampening 0.5"])
        XCTAssertTrue(try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true).nesterov)
        XCTAssertFalse(try SGD(learningRate: 0.1, nesterov: false).nesterov)
        XCTAssertFalse(SGD(learningRate: 0.1, momentum: 0.9).nesterov)
    }

    func testSchedulesNeedAPositiveLength() {
        for steps in [0, -5] {
            assertError(
                try StepDecay(initial: 0.1, factor: 0.5, interval: steps), ["StepDecay(initial:factor:interval:): interval is \(steps), not positive"]
            )
            assertError(
                try CosineDecay(initial: 0.1, totalSteps: steps), ["CosineDecay(initial:minimum:totalSteps:): totalSteps is \(steps), not positive"])
        }
    }
}
