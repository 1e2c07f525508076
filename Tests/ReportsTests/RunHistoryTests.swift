import Foundation
import Reports
import XCTest

/// `metrics.jsonl` read back for the run report.
final class RunHistoryTests: XCTestCase {
    func testResumedStepsReplaceEarlierOnesAndACutLineIsSkipped() {
        // A run killed after step 3 (its last line cut short), resumed from the step-2 checkpoint.
        let text = """
            {"kind":"step","step":1,"epoch":0,"loss":2.5,"learning_rate":0.1}
            {"kind":"step","step":2,"epoch":0,"loss":2.0,"learning_rate":0.1}
            {"kind":"epoch","step":2,"epoch":0,"loss":2.25,"validation_accuracy":0.5}
            {"kind":"step","step":3,"epoch":1,"loss":1.9,"learning_rate":0.1}
            {"kind":"step","step":4,"ep
            {"kind":"step","step":3,"epoch":1,"loss":1.8,"learning_rate":0.1}
            {"kind":"epoch","step":4,"epoch":1,"loss":1.7,"validation_accuracy":0.75}

            """
        let history = RunHistory.parse(Data(text.utf8))
        XCTAssertEqual(history.skippedLines, 1)
        XCTAssertEqual(history.steps.map(\.step), [1, 2, 3])
        XCTAssertEqual(history.steps.map { $0.values["loss"] }, [2.5, 2.0, 1.8])
        XCTAssertEqual(history.epochs.map(\.epoch), [0, 1])
        XCTAssertEqual(history.epochs.map { $0.values["validation_accuracy"] }, [0.5, 0.75])
    }
}
