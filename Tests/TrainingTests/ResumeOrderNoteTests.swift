import XCTest

@testable import Training

/// Resuming with another sample order is allowed and said: the batches from the saved position
/// on are then another order's.
final class ResumeOrderNoteTests: XCTestCase {
    private func configuration(_ pipeline: String) -> String {
        #"{"model": {"layers": [{"type": "dense"}]}, "optimizer": {"type": "sgd"}, "pipeline": {"batch_size": 8\#(pipeline)}}"#
    }

    func testAnotherOrderOrWindowIsNoted() throws {
        let shuffled = configuration("")
        let pageAware = configuration(#", "order": "page_aware", "window_pages": 64"#)
        XCTAssertEqual(try ResumeCompatibility.check(saved: shuffled, current: shuffled, checkpoint: "c"), [])
        XCTAssertEqual(
            try ResumeCompatibility.check(saved: shuffled, current: pageAware, checkpoint: "c"),
            [#"resuming with order "page_aware" (was "shuffle")"#, "resuming with window_pages 64 (was none)"])
        XCTAssertEqual(
            try ResumeCompatibility.check(saved: pageAware, current: configuration(#", "order": "shuffle""#), checkpoint: "c"),
            [#"resuming with order "shuffle" (was "page_aware")"#, "resuming with window_pages none (was 64)"])
    }
}
