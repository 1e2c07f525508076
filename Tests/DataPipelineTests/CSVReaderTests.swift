import CZlib
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TabularFormats
import TestSupport
import XCTest

final class CSVReaderTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ text: String, name: String = "data.csv") throws -> String {
        try directory.write(text, name: name)
    }

    private func assertError(
        _ text: String, _ kind: DataError.Kind, line: Int, column: Int?, file: StaticString = #filePath, sourceLine: UInt = #line,
        _ configure: (inout CSVOptions) -> Void = { _ in }
    ) throws {
        let path = try write(text)
        XCTAssertThrowsError(try readAll(path, configure), file: file, line: sourceLine) { error in
            let dataError = error as? DataError
            XCTAssertEqual(dataError?.kind, kind, "\(error)", file: file, line: sourceLine)
            XCTAssertEqual(dataError?.line, line, "\(error)", file: file, line: sourceLine)
            XCTAssertEqual(dataError?.column, column, "\(error)", file: file, line: sourceLine)
            XCTAssertEqual(dataError?.path, path, file: file, line: sourceLine)
        }
    }

    func testBasicNumericFileWithHeader() throws {
        let result = try readAll(try write("a,b,label\n1,2.5,0\n-3,4e2,1\n"))
        XCTAssertEqual(result.rows, [[1, 2.5], [-3, 400]])
        XCTAssertEqual(result.labels, [0, 1])
        XCTAssertEqual(result.lines, [2, 3])
        XCTAssertEqual(result.reader.featureNames, ["a", "b"])
        XCTAssertEqual(result.reader.classNames, ["0", "1"])
    }

    func testRFC4180QuotingCRLFBOMAndMissingFinalNewline() throws {
        // A quoted separator, a doubled quote and a newline inside quotes (in an ignored text
        // column), CRLF line ends, a UTF-8 BOM and no newline at the end.
        let text = "\u{FEFF}note,x,label\r\n\"a,b\",\"1.5\",0\r\n\"say \"\"hi\"\"\",2,1\r\n\"two\nlines\",3,0\r\n\"last\",4,1"
        let result = try readAll(try write(text)) { $0.ignoredColumns = [.name("note")] }
        XCTAssertEqual(result.rows, [[1.5], [2], [3], [4]])
        XCTAssertEqual(result.labels, [0, 1, 0, 1])
        XCTAssertEqual(result.lines, [2, 3, 4, 6])  // the quoted newline makes row 4 span lines 4-5
        XCTAssertEqual(result.reader.columnNames, ["note", "x", "label"])
    }

    func testNoHeaderCustomSeparatorAndColumnsByIndex() throws {
        let result = try readAll(try write("1;2;3\n4;5;6\n")) {
            $0.hasHeader = false
            $0.separator = UInt8(ascii: ";")
            $0.labelColumn = .index(0)
            $0.featureColumns = [.index(2), .index(1)]
        }
        XCTAssertEqual(result.rows, [[3, 2], [6, 5]])
        XCTAssertEqual(result.labels, [1, 4])
        XCTAssertEqual(result.lines, [1, 2])
        let tabs = try readAll(try write("x\ty\n1\t2\n", name: "t.tsv")) {
            $0.separator = 0x09
            $0.labelColumn = nil
        }
        XCTAssertEqual(tabs.rows, [[1, 2]])
        XCTAssertEqual(tabs.labels, [-1])
    }

    func testStringLabelsByFirstAppearanceAndGivenList() throws {
        let path = try write("x,label\n1,cat\n2,dog\n3,cat\n4,bird\n")
        let first = try readAll(path) { $0.labelMapping = .firstAppearance }
        XCTAssertEqual(first.labels, [0, 1, 0, 2])
        XCTAssertEqual(first.reader.classNames, ["cat", "dog", "bird"])
        let given = try readAll(path) { $0.labelMapping = .given(["bird", "cat", "dog"]) }
        XCTAssertEqual(given.labels, [1, 2, 1, 0])
        try assertError("x,label\n1,cat\n2,cow\n", .unknownLabel, line: 3, column: 2) { $0.labelMapping = .given(["cat"]) }
    }

    func testEmptyFieldsAndNonFiniteValues() throws {
        try assertError("a,b,label\n1,,0\n", .emptyField, line: 2, column: 2)
        XCTAssertEqual(try readAll(try write("a,b,label\n1,,0\n")) { $0.missingValues = .value(-1) }.rows, [[1, -1]])
        try assertError("a,b,label\n1,2,0\n1,nan,0\n", .nonFinite, line: 3, column: 2)
        try assertError("a,b,label\n1,1e39,0\n", .nonFinite, line: 2, column: 2)
        let allowed = try readAll(try write("a,b,label\n1,-inf,0\n")) { $0.nonFinite = .allow }
        XCTAssertEqual(allowed.rows[0][1], -.infinity)
    }

    func testErrorsNameLineAndColumn() throws {
        try assertError("a,b,label\n1,2,0\n1,2\n", .raggedRow, line: 3, column: 3)
        try assertError("a,b,label\n1,2,0\n1,2,0,9\n", .raggedRow, line: 3, column: 4)
        try assertError("a,b,label\n1,2,0\n1,x2,0\n", .notANumber, line: 3, column: 2)
        try assertError("a,b,label\n1,\"2\nstill open,0\n", .unterminatedQuote, line: 2, column: 2)
        try assertError("a,b,label\n1,2\"x,0\n", .misplacedQuote, line: 2, column: 2)
        try assertError("a,b,label\n1,\"2\"x,0\n", .misplacedQuote, line: 2, column: 2)
        try assertError("a,b,label\n1,2,-1\n", .unknownLabel, line: 2, column: 3)
        XCTAssertThrowsError(try readAll(try write("a,b\n1,2\n"))) { XCTAssertEqual(($0 as? DataError)?.kind, .unknownColumn) }
        XCTAssertThrowsError(try readAll(try write(""))) { XCTAssertEqual(($0 as? DataError)?.kind, .emptyFile) }
    }

    /// Multi-label targets (`binaryTargets`) are 0 or 1 (`1.0` is 1), in plain and quoted cells:
    /// anything else is an error naming the line, the column and what to do, and under the skip
    /// policy its row is left out. Features, and regression targets, take any number.
    func testBinaryTargetsAreZeroOrOne() throws {
        func binary(_ options: inout CSVOptions) {
            options.labelColumn = nil
            options.targetColumns = [.name("p"), .name("q")]
            options.binaryTargets = true
        }
        let good = try readAll(try write("x,p,q\n0.5,1,0\n2,1.0,\"0\"\n-1,0.0,1\n"), binary)
        XCTAssertEqual(good.rows, [[0.5, 1, 0], [2, 1, 0], [-1, 0, 1]])
        try assertError("x,p,q\n0.5,1,0\n2,0.5,1\n", .unknownLabel, line: 3, column: 2, binary)
        try assertError("x,p,q\n0.5,1,2\n", .unknownLabel, line: 2, column: 3, binary)
        try assertError("x,p,q\n0.5,1,\"-1\"\n", .unknownLabel, line: 2, column: 3, binary)
        let path = try write("x,p,q\n0.5,1,0\n2,0.5,1\n7,0,1\n")
        XCTAssertThrowsError(try readAll(path, binary)) { error in
            for fragment in ["'0.5' in target column 'p' is not 0 or 1", "write 0 or 1 in the file, or drop the row: pipeline.skip_bad_fraction"] {
                XCTAssertTrue("\(error)".contains(fragment), "\(fragment) in \(error)")
            }
        }
        let skipped = try readAll(path) {
            binary(&$0)
            $0.badInput = .skip(maximumFraction: 0.5)
        }
        XCTAssertEqual(skipped.rows, [[0.5, 1, 0], [7, 0, 1]])
        XCTAssertEqual(skipped.reader.quarantine.entries.map(\.origin), ["\(path):3"])
        let numbers = try readAll(path) {
            binary(&$0)
            $0.binaryTargets = false
        }
        XCTAssertEqual(numbers.rows, [[0.5, 1, 0], [2, 0.5, 1], [7, 0, 1]])
    }

    /// A numeric label is a class index, and the classes are 0 through the largest label: a
    /// label of 2^31 would make 2^31 class names. Labels from 65,536 up (or `maximumClasses`) are
    /// refused with the row's line and the limit, before anything is sized by them.
    func testAbsurdNumericLabelsAreRefusedWithTheClassLimit() throws {
        // 333333330 once made the reader list 333,333,331 class names (a 5.3 GB allocation, the
        // fuzzer's out-of-memory) and 2147483647 asked for 34 GB.
        for label in ["65536", "333333330", "2147483647", "2147483648", "1e9", "4294967296", "1e30"] {
            let path = try write("a,label\n1,0\n2,\(label)\n")
            XCTAssertThrowsError(try readAll(path), label) { error in
                let dataError = error as? DataError
                XCTAssertEqual(dataError?.kind, .unknownLabel, "\(error)")
                XCTAssertEqual(dataError?.path, path)
                XCTAssertEqual(dataError?.line, 3)
                XCTAssertEqual(dataError?.column, 2)
                XCTAssertTrue(dataError?.reason.contains("beyond the largest class index, 65535") ?? false, "\(error)")
                XCTAssertTrue(dataError?.fix.contains("maximumClasses") ?? false, "\(error)")
            }
        }
        try assertError("a,label\n1,-3\n", .unknownLabel, line: 2, column: 2)
        try assertError("a,label\n1,2.5\n", .unknownLabel, line: 2, column: 2)
        // The largest allowed label makes exactly the limit's classes.
        let largest = try readAll(try write("a,label\n1,65535\n"))
        XCTAssertEqual(largest.labels, [65_535])
        XCTAssertEqual(largest.reader.classNames.count, 65_536)
        XCTAssertEqual(largest.reader.classNames.last, "65535")
        try assertError("a,label\n1,3\n2,4\n", .unknownLabel, line: 3, column: 2) { $0.maximumClasses = 4 }
        XCTAssertEqual(try readAll(try write("a,label\n1,3\n")) { $0.maximumClasses = 4 }.reader.classNames, ["0", "1", "2", "3"])
    }

    func testBlankLinesAreSkipped() throws {
        let result = try readAll(try write("a,label\n1,0\n\n2,1\r\n\r\n3,0\n"))
        XCTAssertEqual(result.rows, [[1], [2], [3]])
        XCTAssertEqual(result.lines, [2, 4, 6])
    }

    /// Every chunk size from 1 byte up, and 1-4 threads: boundaries fall inside quoted fields,
    /// inside CRLF pairs and inside numbers, and the rows must not change.
    func testChunkBoundariesAnywhereGiveTheSameRows() throws {
        var text = "id,note,x,label\r\n"
        for row in 0..<40 {
            let note = row % 3 == 0 ? "\"multi\r\nline, \"\"quoted\"\"\"" : "plain"
            text += "\(row),\(note),\(Double(row) * 0.25 - 3),\(row % 4)\r\n"
        }
        let path = try write(text)
        let reference = try readAll(path) { $0.ignoredColumns = [.name("note")] }
        XCTAssertEqual(reference.rows.count, 40)
        XCTAssertEqual(reference.lines.last, 2 + 39 + 13)  // 14 rows before the last, numbered 0, 3, ..., 39, add a line each
        for chunkBytes in [1, 2, 3, 5, 7, 13, 31, 64, 200, 1000] {
            for threads in [1, 2, 4] {
                let chunked = try readAll(path) {
                    $0.ignoredColumns = [.name("note")]
                    $0.chunkBytes = chunkBytes
                    $0.threads = threads
                }
                XCTAssertEqual(chunked.rows, reference.rows, "chunk \(chunkBytes), threads \(threads)")
                XCTAssertEqual(chunked.lines, reference.lines, "chunk \(chunkBytes), threads \(threads)")
                XCTAssertEqual(chunked.labels, reference.labels)
            }
        }
    }

    func testChunksAreNumberedAndOffsetsPointAtTheirRows() throws {
        let text = "x,label\n" + (0..<100).map { "\($0),\($0 % 2)\n" }.joined()
        let path = try write(text)
        var options = CSVOptions()
        options.chunkBytes = 50
        options.threads = 3
        let reader = try CSVReader(path: path, options: options)
        var expectedIndex = 0
        var total = 0
        let bytes = Array(text.utf8)
        while let chunk = try reader.next() {
            XCTAssertEqual(chunk.index, expectedIndex)
            XCTAssertTrue(chunk.byteCount >= 50 || chunk.byteOffset + chunk.byteCount == bytes.count, "only the last chunk may be short")
            // The chunk's first row is the text at its offset.
            let firstRow = String(decoding: bytes[chunk.byteOffset...].prefix { $0 != 0x0A }, as: UTF8.self)
            XCTAssertEqual(firstRow, "\(Int(chunk.features.scalars[0])),\(chunk.labels[0])")
            XCTAssertEqual(chunk.sample(at: 0).origin, .line(path: path, line: chunk.firstLine))
            expectedIndex += 1
            total += chunk.count
        }
        XCTAssertEqual(total, 100)
        // Rows span bytes 8..<498; each cut is the first line feed at or past start + 49: chunk 0 is
        // 8..<58 (rows 0-11), then eight chunks of ten 5-byte rows, then a 40-byte tail.
        XCTAssertEqual(expectedIndex, 10)
    }

    func testGzipInputGivesTheSameRows() throws {
        let text = "a,b,label\n" + (0..<500).map { "\($0),\(Double($0) / 7),\($0 % 3)\n" }.joined()
        let plain = try write(text)
        let compressedPath = directory.path("data.csv.gz").path
        let handle = try XCTUnwrap(gzopen(compressedPath, "wb"))
        _ = text.withCString { gzwrite(handle, $0, UInt32(text.utf8.count)) }
        gzclose(handle)
        let expected = try readAll(plain) { $0.chunkBytes = 100 }
        let actual = try readAll(compressedPath) { $0.chunkBytes = 100 }
        XCTAssertEqual(actual.rows, expected.rows)
        XCTAssertEqual(actual.lines, expected.lines)
        // A truncated gzip stream is an error, not a silently short dataset.
        let compressed = try Data(contentsOf: URL(fileURLWithPath: compressedPath))
        let truncated = directory.path("cut.csv.gz")
        try compressed.prefix(compressed.count / 2).write(to: truncated)
        XCTAssertThrowsError(try readAll(truncated.path)) { error in
            let kind = (error as? DataError)?.kind
            XCTAssertTrue(kind == .truncated || kind == .corrupt, "\(error)")
        }
    }

    func testSkipPolicyQuarantinesBadRowsDeterministically() throws {
        var text = "x,label\n"
        for row in 0..<2000 { text += row % 500 == 7 ? "oops,1\n" : "\(row),0\n" }
        let path = try write(text)
        let first = try readAll(path) {
            $0.badInput = .skip(maximumFraction: 0.01)
            $0.chunkBytes = 512
            $0.threads = 2
        }
        XCTAssertEqual(first.rows.count, 1996)
        XCTAssertEqual(first.reader.quarantine.entries.map(\.origin), [9, 509, 1009, 1509].map { "\(path):\($0)" })
        XCTAssertTrue(first.reader.quarantine.entries[0].reason.contains("'oops'"))
        let second = try readAll(path) {
            $0.badInput = .skip(maximumFraction: 0.01)
            $0.chunkBytes = 97
        }
        XCTAssertEqual(second.reader.quarantine.entries, first.reader.quarantine.entries)
        XCTAssertEqual(second.rows, first.rows)
        XCTAssertThrowsError(try readAll(path) { $0.badInput = .skip(maximumFraction: 0.001) }) {
            XCTAssertEqual(($0 as? DataError)?.kind, .tooManyBadSamples)
        }
        try assertError(text, .notANumber, line: 9, column: 1)  // the default policy fails on the first
    }

    func testShippedDigitsCSVAgreesWithTheShippedPNGs() throws {
        // Two files written by other software (scikit-learn's digits via Python's csv module and
        // Pillow): CSV value v and PNG pixel (v * 255 + 8) / 16 must agree for every image.
        let root = Fixtures.repositoryRoot.appendingPathComponent("datasets")
        let csv = try readAll(root.appendingPathComponent("digits.csv").path)
        XCTAssertEqual(csv.rows.count, 1797)
        let folder = try ImageFolder(root: root.appendingPathComponent("digits").path, options: .init(channels: .gray))
        XCTAssertEqual(folder.count, 1797)
        for index in stride(from: 0, to: folder.count, by: 37) {
            let fileIndex = Int(URL(fileURLWithPath: folder.paths[index]).deletingPathExtension().lastPathComponent)!
            let pixels = try folder.image(at: index).pixels
            XCTAssertEqual(pixels, csv.rows[fileIndex].map { UInt8((Int($0) * 255 + 8) / 16) })
            XCTAssertEqual(folder.labels[index], csv.labels[fileIndex])
        }
    }
}
