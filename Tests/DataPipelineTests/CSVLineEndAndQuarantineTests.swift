import DataPipeline
import Foundation
import SystemIO
import TabularFormats
import TestSupport
import XCTest

/// Line ends as Python's `csv` module reads them, and the `.skip` policy losing nothing.
final class CSVLineEndAndQuarantineTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ text: String) throws -> String {
        try directory.write(text)
    }

    func testLoneCarriageReturnEndsARecordAtEveryChunkSize() throws {
        // Python: list(csv.reader(io.StringIO(text, newline=""))) gives the header and the rows
        // ['1','0'], ['2','1'], ['3','0'], ['4','1'], ['5','0'], with line_num 2, 3, 4, 5, 7 (the
        // quoted CR inside "x\ry" is data and starts a new physical line).
        let text = "a,label,note\r1,0,\r2,1,\r\n3,0,\n4,1,\r\r5,0,\"x\ry\"\r"
        let path = try write(text)
        for chunkBytes in [1, 2, 3, 5, 8, 13, 1 << 20] {
            let result = try readAll(path) {
                $0.chunkBytes = chunkBytes
                $0.ignoredColumns = [.name("note")]
            }
            XCTAssertEqual(result.rows, [[1], [2], [3], [4], [5]], "chunk size \(chunkBytes)")
            XCTAssertEqual(result.lines, [2, 3, 4, 5, 7], "chunk size \(chunkBytes)")
            XCTAssertEqual(result.reader.columnNames, ["a", "label", "note"])
        }
    }

    func testHexIsTextNotANumber() throws {
        let path = try write("x,label\n0x10,0\n")
        XCTAssertThrowsError(try readAll(path)) { error in
            XCTAssertEqual((error as? DataError)?.kind, .notANumber, "\(error)")
            XCTAssertEqual((error as? DataError)?.line, 2)
        }
        let spelled = try readAll(try write("x,label\nNaN,0\n-INFINITY,1\ninf,0\n")) { $0.nonFinite = .allow }
        XCTAssertTrue(spelled.rows[0][0].isNaN)
        XCTAssertEqual(spelled.rows[1][0], -.infinity)
        XCTAssertEqual(spelled.rows[2][0], .infinity)
    }

    /// 20,006 records in one chunk, record `i` (line `i + 2`) bad when `i % 5 < 3`:
    /// 20,006 = 5 * 4,001 + 1, so 3 * 4,001 + 1 = 12,004 bad rows (i = 20,005 is bad) and 8,002 good.
    private func manyBadRows() -> String {
        var text = "x,label\n"
        for i in 0..<20_006 { text += i % 5 < 3 ? "bad\(i),0\n" : "\(i),1\n" }
        return text
    }

    func testSkipPolicyKeepsEveryGoodRowPastTenThousandBadOnesInOneChunk() throws {
        let path = try write(manyBadRows())
        let result = try readAll(path) {
            $0.badInput = .skip(maximumFraction: 0.7)
            $0.chunkBytes = 1 << 22
        }
        XCTAssertEqual(result.rows.count, 8_002)
        XCTAssertEqual(result.rows.first, [3])
        XCTAssertEqual(result.rows.last, [20_004])
        XCTAssertEqual(result.lines.last, 20_006)
        let entries = result.reader.quarantine.entries
        XCTAssertEqual(entries.count, 12_004)
        XCTAssertEqual(entries.first?.origin, "\(path):2")
        XCTAssertEqual(entries.last?.origin, "\(path):20007")
        XCTAssertTrue(entries.last?.reason.contains("'bad20005'") ?? false, entries.last?.reason ?? "")
        XCTAssertEqual(result.reader.quarantine.seen, 20_006)
    }

    func testSkipBudgetCountsEveryBadRowInOneChunk() throws {
        let path = try write(manyBadRows())
        XCTAssertThrowsError(
            try readAll(path) {
                $0.badInput = .skip(maximumFraction: 0.55)
                $0.chunkBytes = 1 << 22
            }
        ) { error in
            XCTAssertEqual((error as? DataError)?.kind, .tooManyBadSamples, "\(error)")
        }
    }
}
