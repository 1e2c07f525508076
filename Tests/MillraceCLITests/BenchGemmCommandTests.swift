import Foundation
import XCTest

@testable import MillraceCommands

final class BenchGemmCommandTests: XCTestCase {
    func testJSONHasGflopsPerSizeAndThreadCount() throws {
        let measurements = GemmBenchmark.measure(sizes: [8, 33], threads: [1, 2], seconds: 0.001)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(GemmBenchmark.json(measurements).utf8)) as? [String: Any])
        let table = try XCTUnwrap(object["gflops"] as? [String: [String: Double]])
        XCTAssertEqual(Set(table.keys), ["8", "33"])
        XCTAssertEqual(Set(table["33"]!.keys), ["1", "2"])
        XCTAssertTrue(table.values.flatMap(\.values).allSatisfy { $0 > 0 })
        XCTAssertNotNil(object["kernel"] as? String)
    }

    func testRejectsMalformedLists() {
        XCTAssertThrowsError(try MillraceCommand.parseAsRoot(["bench", "gemm", "--sizes", "256,x"]))
        XCTAssertThrowsError(try MillraceCommand.parseAsRoot(["bench", "gemm", "--threads", "0"]))
        XCTAssertNoThrow(try MillraceCommand.parseAsRoot(["bench", "gemm", "--sizes", "64", "--threads", "1", "--json"]))
    }
}
