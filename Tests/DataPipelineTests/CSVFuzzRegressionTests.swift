import DataPipeline
import Foundation
import SystemIO
import TabularFormats
import TestSupport
import XCTest

/// Inputs the `csv` fuzz target (Fuzz/Sources/FuzzCSV) found, checked in under
/// `Tests/Fixtures/fuzz-regressions/`: each must end in a typed error, never a trap.
final class CSVFuzzRegressionTests: XCTestCase {
    private func fixture(_ name: String) -> String {
        Fixtures.directory.appendingPathComponent("fuzz-regressions").appendingPathComponent(name).path
    }

    /// A quote inside a field past the header's last column trapped (index out of range) while
    /// the error named the column from the header; it is a misplaced quote in column 3.
    func testMisplacedQuotePastTheHeaderIsATypedError() throws {
        for name in ["csv-quote-past-header.csv", "csv-quoted-field-past-header.csv"] {
            XCTAssertThrowsError(try readAll(fixture(name))) { error in
                let error = error as? DataError
                XCTAssertEqual(error?.kind, .misplacedQuote, name)
                XCTAssertEqual(error?.line, 2, name)
                XCTAssertEqual(error?.column, 3, name)
            }
        }
    }

    /// The input as the fuzzer found it (options: comma, header, numeric labels, skip, 13-byte
    /// chunks). Read by hand: rows on lines 2, 11, 13, 15 and 17 are good; lines 4 (`2,t`), 7
    /// (`1,0l`), 9 (`-3,4e`) and 20 (`5,x`) have bad labels, 6, 14 and 19 misplaced quotes (19
    /// in its third field, the trap), 8 three fields; 3, 5, 10, 12, 16 and 18 are blank.
    func testFuzzedFileKeepsEveryGoodRowUnderSkip() throws {
        let result = try readAll(fixture("csv-quote-past-header-fuzzed.csv")) {
            $0.badInput = .skip(maximumFraction: 1)
            $0.chunkBytes = 13
        }
        XCTAssertEqual(result.rows, [[1], [2], [3], [1], [2]])
        XCTAssertEqual(result.labels, [0, 1, 0, 0, 1])
        XCTAssertEqual(result.lines, [2, 11, 13, 15, 17])
        let origins = result.reader.quarantine.entries.map(\.origin).map { $0.split(separator: ":").last.map(String.init) ?? "" }
        XCTAssertEqual(origins, ["4", "6", "7", "8", "9", "14", "19", "20"])
        XCTAssertTrue(result.reader.quarantine.entries[6].reason.contains("misplaced quote"), result.reader.quarantine.entries[6].reason)
    }

    /// The same file under the default `.fail` policy stops at its first bad row, line 4.
    func testFuzzedFileFailsAtTheFirstBadRow() throws {
        XCTAssertThrowsError(try readAll(fixture("csv-quote-past-header-fuzzed.csv")) { $0.chunkBytes = 13 }) { error in
            XCTAssertEqual((error as? DataError)?.kind, .unknownLabel, "\(error)")
            XCTAssertEqual((error as? DataError)?.line, 4, "\(error)")
        }
    }

    /// The input as the fuzzer found it (same options as above). Read by hand: lines 4 (`2,1`)
    /// and 6 (`3,0`) are good; line 2 (`1\xC80`) is not a number, the quoted field opened on
    /// line 7 closes on line 12 with text after it (the error names line 12, where that text
    /// stands), line 15 (`1,`) has an empty label, line 17
    /// the label 333333330, the quoted field of lines 18-19 is not a number; the quote opened on
    /// line 20 is never closed, which ends the file with that error under any policy.
    func testFuzzedFileWithAHugeLabelEndsAtTheUnterminatedQuote() throws {
        var options = CSVOptions()
        options.badInput = .skip(maximumFraction: 1)
        options.chunkBytes = 13
        let reader = try CSVReader(path: fixture("csv-huge-numeric-label-fuzzed.csv"), options: options)
        var rows: [Float] = []
        var labels: [Int] = []
        XCTAssertThrowsError(
            try {
                while let chunk = try reader.next() {
                    rows += chunk.features.scalars
                    labels += chunk.labels
                }
            }()
        ) { error in
            XCTAssertEqual((error as? DataError)?.kind, .unterminatedQuote, "\(error)")
            XCTAssertEqual((error as? DataError)?.line, 20, "\(error)")
        }
        XCTAssertEqual(rows, [2, 3])
        XCTAssertEqual(labels, [1, 0])
        XCTAssertEqual(reader.quarantine.entries.map { $0.origin.split(separator: ":").last.map(String.init) ?? "" }, ["2", "12", "15", "17", "18"])
        XCTAssertEqual(reader.classNames, ["0", "1"])
    }
}
