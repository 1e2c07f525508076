import DataPipeline
import Foundation
import SystemIO
import TabularFormats
import TestSupport
import XCTest

/// The chunk cutter, the parser, its row skipper and the text reader read quotes by one state
/// machine (`CSVRecordScanner`), so they agree on every record boundary whatever the chunk size.
final class CSVScannerAgreementTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ text: String) throws -> String {
        try directory.write(text)
    }

    /// Read by hand: lines 2 (`x"y`) and 6 (`z""`) hold misplaced quotes (bad rows); the quoted
    /// fields of lines 3-4 and 7-8 hold line ends, line 5's a doubled quote. Counting quotes by
    /// parity (the former cutter) put line 2's quote in a quoted stretch, so a cut after line 3
    /// split the quoted field of lines 3-4 (an unterminated quote); now every chunk size gives
    /// the one-chunk reading.
    func testMisplacedQuoteMovesNoChunkBoundary() throws {
        let text = "a,b,label\n1,x\"y,0\n2,\"multi\nline\",1\n3,\"p\"\"q\",0\n4,z\"\",1\n5,\"r\ns\",0\r\n6,w,1\n"
        let path = try write(text)
        for chunkBytes in 1...(text.utf8.count + 1) {
            let result = try readAll(path) {
                $0.chunkBytes = chunkBytes
                $0.ignoredColumns = [.name("b")]
                $0.badInput = .skip(maximumFraction: 1)
            }
            XCTAssertEqual(result.rows, [[2], [3], [5], [6]], "chunk size \(chunkBytes)")
            XCTAssertEqual(result.lines, [3, 5, 7, 9], "chunk size \(chunkBytes)")
            XCTAssertEqual(result.labels, [1, 0, 0, 1], "chunk size \(chunkBytes)")
            let lines = result.reader.quarantine.entries.map { $0.origin.split(separator: ":").last.map(String.init) ?? "" }
            XCTAssertEqual(lines, ["2", "6"], "chunk size \(chunkBytes)")
        }
    }

    /// A quoted line end at a chunk boundary: for every chunk size the dataset's chunks, the rows
    /// it skips past (`loadChunk(at:keepingRows:)`) and the rows it parses agree with the text
    /// reader's records (line and first field), and every row is read once.
    func testCutterSkipperParserAndTextReaderAgree() throws {
        var text = "a,note,label\r\n"
        var expected: [(line: Int, value: Float)] = []
        var line = 2
        for row in 0..<12 {
            let note = ["plain", "\"two\nlines\"", "\"sep, and \"\"quotes\"\"\"", "\"cr\rlf\r\nend\"", ""][row % 5]
            text += "\(row),\(note),\(row % 2)\(row % 3 == 0 ? "\r\n" : "\n")"
            expected.append((line, Float(row)))
            line += 1 + note.filter { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }.count
            if row == 6 {
                text += "\n"  // a blank line
                line += 1
            }
        }
        let path = try write(text)
        let textReader = try CSVTextReader(path: path)
        var records: [CSVRecord] = []
        while let record = try textReader.next() { records.append(record) }
        XCTAssertEqual(records.dropFirst().map(\.line), expected.map(\.line))
        XCTAssertEqual(records.dropFirst().map { Float($0.fields[0]) }, expected.map(\.value))
        for chunkBytes in 1...(text.utf8.count + 1) {
            var options = CSVOptions()
            options.chunkBytes = chunkBytes
            options.ignoredColumns = [.name("note")]
            let dataset = try CSVDataset(path: path, options: options)
            var values: [Float] = []
            var lines: [Int] = []
            for index in 0..<dataset.chunkCount {
                let whole = try dataset.loadChunk(at: index)
                let odd = try dataset.loadChunk(at: index, keepingRows: { $0 % 2 == 1 })
                let selected = whole.selecting(rows: (0..<whole.count).filter { $0 % 2 == 1 })
                XCTAssertEqual(odd.lines, selected.lines, "chunk size \(chunkBytes), chunk \(index)")
                XCTAssertEqual(odd.features.scalars, selected.features.scalars, "chunk size \(chunkBytes), chunk \(index)")
                values += whole.features.scalars
                lines += whole.lines
            }
            XCTAssertEqual(values, expected.map(\.value), "chunk size \(chunkBytes)")
            XCTAssertEqual(lines, expected.map(\.line), "chunk size \(chunkBytes)")
        }
    }
}
