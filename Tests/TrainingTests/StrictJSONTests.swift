import Foundation
import TestSupport
import Training
import XCTest

/// The strict scanner against positions counted by hand in the texts below.
final class StrictJSONTests: XCTestCase {
    private func problem(_ text: String) -> StrictJSON.Problem? {
        StrictJSON.firstProblem(in: Array(text.utf8))
    }

    func testADuplicateKeyIsFoundWithItsPositionAndPath() throws {
        // The second "a" opens at byte 8: 0 '{', 1-3 '"a"', 4 ':', 5 '1', 6 ',', 7 ' ', 8 '"'.
        let found = try XCTUnwrap(problem(#"{"a":1, "a":2}"#))
        XCTAssertEqual([found.line, found.column, found.byteOffset], [1, 9, 8])
        XCTAssertEqual(found.keyPath, "a")
        XCTAssertTrue(found.reason.contains("first at line 1, column 2"), found.reason)
    }

    func testNestedPathsNameObjectsAndListIndices() throws {
        let text = "{\"model\": {\"layers\": [{\"type\": \"relu\"},\n {\"type\": \"dense\", \"type\": \"relu\"}]}}"
        let found = try XCTUnwrap(problem(text))
        XCTAssertEqual(found.keyPath, "model.layers[1].type")
        XCTAssertEqual(found.line, 2)
        XCTAssertEqual(found.column, 20)  // ` {"type": "dense", ` is 19 bytes
    }

    func testEscapedSpellingsOfOneKeyAreDuplicates() {
        XCTAssertEqual(problem(#"{"seed": 1, "se\u0065d": 2}"#)?.keyPath, "seed")
        XCTAssertNil(problem(#"{"seed": 1, "Seed": 2}"#), "keys are case-sensitive")
    }

    func testTrailingCommasInObjectsAndListsAreFoundAtTheComma() throws {
        let object = try XCTUnwrap(problem("{\"a\": {\"b\": 1,\n}}"))
        XCTAssertEqual([object.line, object.column, object.byteOffset], [1, 14, 13])
        XCTAssertEqual(object.keyPath, "a")
        XCTAssertTrue(object.reason.contains("'}'"))
        let list = try XCTUnwrap(problem(#"{"a": [1, 2 , ]}"#))
        XCTAssertEqual(list.byteOffset, 12)
        XCTAssertEqual(list.keyPath, "a")
        XCTAssertTrue(list.reason.contains("']'"))
        XCTAssertNil(problem("[1, 2,]")?.keyPath)
    }

    func testStringsHidingPunctuationAndTheShippedPipelinesPass() throws {
        XCTAssertNil(problem(#"{"a": "x,}", "b": "\"a\": 1,]", "c": [{}, [], {"a": 1}]}"#))
        let folder = Fixtures.repositoryRoot.appendingPathComponent("pipelines").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            XCTAssertNil(problem(try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)), file)
        }
    }

    func testOtherSyntaxErrorsAndDeepNestingAreLeftToTheDecoder() {
        for text in [#"{"a" 1}"#, #"{"a": }"#, "[1 2]", "{,}", "[,]", #"{"a": 1"#, #"{"a": "x"#, "]", ""] {
            XCTAssertNil(problem(text), text)
        }
        // No recursion, and nesting beyond the decoder's depth is left to it: neither crashes nor reports.
        XCTAssertNil(problem(String(repeating: "[", count: 1_000_000)))
    }

    func testDecodingReportsTheProblemAsAConfigurationError() {
        XCTAssertThrowsError(try RunConfiguration.decode(Data(#"{"name": "a", "name": "b"}"#.utf8), path: "p.json")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("p.json: key 'name': at line 1, column 15 (byte 14)"), message)
        }
    }
}
