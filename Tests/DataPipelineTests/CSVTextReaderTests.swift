import DataPipeline
import Foundation
import SystemIO
import TestSupport
import XCTest

@testable import TabularFormats

/// `CSVTextReader` against Python's `csv` module. The expected records (start line and fields)
/// and byte offsets below were printed by this script (Python 3.11), blank-line records (`[]`)
/// left out as the reader skips them, the byte order mark read as by `utf-8-sig`:
///
///     import csv, io, json, re
///     for name, data, sep in cases:
///         text = data.decode("utf-8-sig")
///         reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
///         starts = [0] + [m.end() for m in re.finditer(rb"\r\n|\n|\r", data)]
///         rows, offsets = [], []
///         while True:
///             before = reader.line_num
///             try: row = next(reader)
///             except StopIteration: break
///             if row:
///                 rows.append((before + 1, row))
///                 offsets.append(3 if before == 0 and data.startswith(b"\xef\xbb\xbf") else starts[before])
///         print(json.dumps(name), json.dumps(rows, ensure_ascii=False), offsets)
final class CSVTextReaderTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ bytes: [UInt8], name: String = "data.csv") throws -> String {
        let url = directory.path(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private struct Case {
        var name: String
        var bytes: [UInt8]
        var separator: Character = ","
        var records: [(line: Int, fields: [String])]
        var offsets: [Int]
    }

    private static let cases: [Case] = [
        Case(
            name: "crlf-quoted-separator", bytes: Array("a,b,c\r\n1,\"x,y\",3\r\n".utf8),
            records: [(1, ["a", "b", "c"]), (2, ["1", "x,y", "3"])], offsets: [0, 7]),
        Case(
            name: "embedded-newlines", bytes: Array("id,text\n1,\"line one\nline two\"\n2,\"cr\rinside\"\n3,\"crlf\r\ninside\"\n".utf8),
            records: [(1, ["id", "text"]), (2, ["1", "line one\nline two"]), (4, ["2", "cr\rinside"]), (6, ["3", "crlf\r\ninside"])],
            offsets: [0, 8, 30, 44]),
        Case(
            name: "doubled-quotes", bytes: Array("\"he said \"\"hi\"\"\",x\n\"\"\"\",\"\"\"\"\"\"\n".utf8),
            records: [(1, ["he said \"hi\"", "x"]), (2, ["\"", "\"\""])], offsets: [0, 19]),
        Case(
            name: "empty-fields", bytes: Array(",,\n\"\",a,\n,\n".utf8), records: [(1, ["", "", ""]), (2, ["", "a", ""]), (3, ["", ""])],
            offsets: [0, 3, 9]),
        Case(
            name: "lone-cr", bytes: Array("a,b\r1,2\r\r3,4".utf8), records: [(1, ["a", "b"]), (2, ["1", "2"]), (4, ["3", "4"])],
            offsets: [0, 4, 9]),
        Case(name: "blank-lines", bytes: Array("\n\nx\n\n\ny,z\n\n".utf8), records: [(3, ["x"]), (6, ["y", "z"])], offsets: [2, 6]),
        Case(
            name: "bom-and-utf8", bytes: [0xEF, 0xBB, 0xBF] + Array("name,city\nélève,日本\n".utf8),
            records: [(1, ["name", "city"]), (2, ["élève", "日本"])], offsets: [3, 13]),
        Case(
            name: "semicolons", bytes: Array("a;\"b;c\";\" d \"\n 1 ;2;\n".utf8), separator: ";",
            records: [(1, ["a", "b;c", " d "]), (2, [" 1 ", "2", ""])], offsets: [0, 14]),
        Case(
            name: "quoted-last-field-no-newline", bytes: Array("1,\"two\nlines\"".utf8), records: [(1, ["1", "two\nlines"])], offsets: [0]),
    ]

    private func records(_ path: String, separator: Character = ",", bufferBytes: Int? = nil) throws -> [CSVRecord] {
        let separator = separator.asciiValue!
        let reader =
            try bufferBytes.map { try CSVTextReader(path: path, separator: separator, maximumFieldBytes: 1 << 20, bufferBytes: $0) }
            ?? CSVTextReader(path: path, separator: separator)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// Every case gives Python's records, lines and the byte offsets, with the default buffer
    /// and with buffers of 1 to 13 bytes (every record, field and CRLF crosses a refill).
    func testRecordsMatchPythonsCSVModule() throws {
        for testCase in Self.cases {
            let path = try write(testCase.bytes, name: "\(testCase.name).csv")
            for bufferBytes in [nil, 1, 2, 3, 5, 8, 13] {
                let got = try records(path, separator: testCase.separator, bufferBytes: bufferBytes)
                let label = "\(testCase.name), buffer \(bufferBytes.map(String.init) ?? "default")"
                XCTAssertEqual(got.map(\.fields), testCase.records.map(\.fields), label)
                XCTAssertEqual(got.map(\.line), testCase.records.map(\.line), label)
                XCTAssertEqual(got.map(\.byteOffset), testCase.offsets, label)
            }
        }
    }

    /// The quoting errors name the file, line, column and byte offset, as the numeric reader's do.
    func testQuotingErrorsNameTheirPlace() throws {
        let cases: [(String, DataError.Kind, line: Int, column: Int, offset: Int)] = [
            ("a,b\n1,2\"x\n", .misplacedQuote, 2, 2, 7),
            ("a,b\n1,\"2\"x\n", .misplacedQuote, 2, 2, 9),
            ("a,b\n\"x\ny\"z,1\n", .misplacedQuote, 3, 1, 9),
            ("a,b\n1,\"open\nstill open\n", .unterminatedQuote, 2, 2, 6),
        ]
        for (text, kind, line, column, offset) in cases {
            for bufferBytes in [nil, 3] {
                XCTAssertThrowsError(try records(try write(Array(text.utf8)), bufferBytes: bufferBytes)) { error in
                    let error = error as? DataError
                    XCTAssertEqual(error?.kind, kind, text)
                    XCTAssertEqual([error?.line, error?.column, error?.byteOffset], [line, column, offset], text)
                    XCTAssertTrue(error?.description.contains("data.csv:\(line):\(column)") == true, "\(String(describing: error))")
                }
            }
        }
    }

    /// A field longer than the limit is an error naming it, in a complete record or in one that
    /// would need the buffer to grow past the limit.
    func testFieldLimitNamesTheField() throws {
        let path = try write(Array("a,b\n1,\(String(repeating: "x", count: 40))\n".utf8))
        for bufferBytes in [64, 4] {
            let reader = try CSVTextReader(path: path, separator: 0x2C, maximumFieldBytes: 16, bufferBytes: bufferBytes)
            XCTAssertEqual(try reader.next()?.fields, ["a", "b"])
            XCTAssertThrowsError(try reader.next()) { error in
                XCTAssertEqual((error as? DataError)?.kind, .tooLarge)
                XCTAssertEqual([(error as? DataError)?.line, (error as? DataError)?.column], [2, 2], "buffer \(bufferBytes)")
            }
        }
    }

    /// The numeric reader's header is read by the same rules: a quoted name keeps its separator
    /// and its line ends (the rows' lines count them), blank lines before it are skipped, and a
    /// misplaced quote in the header is the same error.
    func testHeaderUsesTheSameRules() throws {
        let reader = try CSVReader(path: try write(Array("\"a,b\",label\n1,0\n".utf8)))
        XCTAssertEqual(reader.columnNames, ["a,b", "label"])
        let text = "\r\n\n\"first\nname\",label\r\n1,0\n\n2,1\n"
        let path = try write(Array(text.utf8))
        let result = try readAll(path)
        XCTAssertEqual(result.reader.columnNames, ["first\nname", "label"])
        XCTAssertEqual(result.lines, [5, 7], "two blank lines, a header over lines 3-4, a blank line 6")
        XCTAssertEqual(try records(path).map(\.line), [3, 5, 7])
        XCTAssertThrowsError(try CSVReader(path: try write(Array("a\"b,label\n1,0\n".utf8)))) { error in
            XCTAssertEqual((error as? DataError)?.kind, .misplacedQuote)
            XCTAssertEqual([(error as? DataError)?.line, (error as? DataError)?.column], [1, 1])
        }
    }
}
