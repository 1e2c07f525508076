import DataPipeline
import SystemIO

/// One record of a CSV file as text.
public struct CSVRecord: Sendable, Equatable {
    /// The fields, quotes removed and doubled quotes made one, as UTF-8 text (invalid bytes
    /// replaced by U+FFFD).
    public var fields: [String]
    /// The 1-based line the record starts on.
    public var line: Int
    /// Where the record starts in the (decompressed) file.
    public var byteOffset: Int

    /// Creates a record.
    public init(fields: [String], line: Int, byteOffset: Int) {
        self.fields = fields
        self.line = line
        self.byteOffset = byteOffset
    }
}

/// Streams a CSV file's records as text fields, for any column (names, categories, free text),
/// with the rules of the numeric reader (`CSVRecordScanner`: RFC 4180 as Python's `csv` module
/// reads it; LF, CRLF or a lone CR end a record; a quoted field may hold separators, doubled
/// quotes and line ends). The header, if any, is the first record. A UTF-8 byte order mark at the
/// start is skipped and blank lines are skipped (as by `CSVReader` and pandas; Python's `csv`
/// gives an empty list for them). gzip input is decompressed. Memory stays at about the buffer
/// (1 MiB) plus the longest record; a field over `maximumFieldBytes` is an error naming its line
/// and column, as is a misplaced or unterminated quote (with the byte offset).
///
///     let reader = try CSVTextReader(path: "people.csv")
///     while let record = try reader.next() { print(record.line, record.fields) }
public final class CSVTextReader {
    /// The file.
    public let path: String
    /// The longest field in bytes.
    public let maximumFieldBytes: Int
    private let scanner: CSVRecordScanner
    private let stream: ByteStream
    private var buffer: [UInt8]
    private var start = 0, filled = 0
    private var bufferOffset = 0  // file offset of buffer[0]
    private var atEndOfInput = false
    private var line = 1

    /// Opens `path`; `separator` is one ASCII byte.
    public convenience init(path: String, separator: UInt8 = UInt8(ascii: ","), maximumFieldBytes: Int = 64 << 20) throws(DataError) {
        try self.init(path: path, separator: separator, maximumFieldBytes: maximumFieldBytes, bufferBytes: 1 << 20)
    }

    /// Opens `path`, reading `bufferBytes` at a time (tests use a few bytes, to cross every boundary).
    init(path: String, separator: UInt8, maximumFieldBytes: Int, bufferBytes: Int) throws(DataError) {
        guard maximumFieldBytes > 0, separator != 0x22, separator != 0x0A, separator != 0x0D else {
            throw DataError(
                .invalidOption, path: path, reason: "the separator must not be a quote or line end, and the field limit must be positive",
                fix: "use a separator such as , ; or tab, and a positive limit")
        }
        self.path = path
        self.maximumFieldBytes = maximumFieldBytes
        scanner = CSVRecordScanner(separator: separator)
        stream = try ByteStream(path: path)
        buffer = [UInt8](repeating: 0, count: max(bufferBytes, 4))  // room for a byte order mark
        try fill()
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }  // UTF-8 BOM
    }

    /// The next record, or nil at the end of the file.
    public func next() throws(DataError) -> CSVRecord? {
        while true {
            let (scanner, limit, path, complete, line, bufferOffset) = (scanner, maximumFieldBytes, path, atEndOfInput, line, bufferOffset)
            let from = start
            let outcome = try buffer.withUnsafeBufferPointer { bytes throws(DataError) -> Scan in
                try CSVTextReader.scan(
                    bytes, from: from, to: filled, complete: complete, scanner: scanner, line: line, offset: bufferOffset, limit: limit,
                    path: path)
            }
            switch outcome {
            case .record(let record, let next, let lines):
                (start, self.line) = (next, line + lines)
                return record
            case .blank(let next, let lines):
                (start, self.line) = (next, line + lines)
            case .end:
                return nil
            case .needsMore:
                try refill()
            }
        }
    }

    /// The fields of `bytes`, which hold one record (its line end optional) on line `line` at
    /// `byteOffset` in `path` (the numeric reader's header).
    static func fields(
        of bytes: UnsafeBufferPointer<UInt8>, scanner: CSVRecordScanner, line: Int, byteOffset: Int, path: String
    ) throws(DataError) -> [String] {
        let outcome = try scan(
            bytes, from: 0, to: bytes.count, complete: true, scanner: scanner, line: line, offset: byteOffset, limit: .max, path: path)
        guard case .record(let record, _, _) = outcome else { return [""] }
        return record.fields
    }

    /// What a scan from a record boundary found.
    enum Scan {
        /// A record, where the next one starts, and the lines it spans.
        case record(CSVRecord, next: Int, lines: Int)
        /// A blank line.
        case blank(next: Int, lines: Int)
        /// The end of the input.
        case end
        /// The bytes end inside a record (or where a CRLF may continue) before the input does.
        case needsMore
    }

    /// Scans `[from, to)` of `bytes` (buffer offset 0 at file offset `offset`) for one record or
    /// blank line; `complete` says whether the input ends at `to`.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int, complete: Bool, scanner: CSVRecordScanner, line: Int, offset: Int,
        limit: Int, path: String
    ) throws(DataError) -> Scan {
        guard let base = bytes.baseAddress, from < to else { return complete ? .end : .needsMore }
        let end = base + to
        let recordStart = base + from
        // A CR as the last byte may be the first half of a CRLF.
        func endsTooSoon(_ p: UnsafePointer<UInt8>) -> Bool { !complete && p.pointee == 0x0D && p + 1 == end }
        if scanner.isBlankLine(at: recordStart) {
            if endsTooSoon(recordStart) { return .needsMore }
            return .blank(next: from + CSVLineEnd.length(at: recordStart, before: end), lines: 1)
        }
        var fields: [String] = []
        var p = recordStart
        var lines = 0
        while true {
            let field = scanner.field(at: p, before: end)
            if field.next == end && !complete { return .needsMore }
            let column = fields.count + 1
            if field.isUnterminated {
                throw DataError(
                    .unterminatedQuote, path: path, line: line + lines, column: column, byteOffset: offset + (p - base),
                    reason: "quoted field is never closed", fix: "close the quote, and double every quote character inside the field")
            }
            if field.contentEnd - field.contentStart > limit {
                throw CSVFieldLimit.fieldError(path: path, line: line + lines, column: column, byteOffset: offset + (p - base), limit: limit)
            }
            lines += field.lineEnds
            if let misplaced = field.misplaced {
                let text = String(
                    decoding: UnsafeBufferPointer(start: field.contentStart, count: min(misplaced + 1 - field.contentStart, 64)), as: UTF8.self)
                throw DataError(
                    .misplacedQuote, path: path, line: line + lines, column: column, byteOffset: offset + (misplaced - base),
                    reason: "misplaced quote in field '\(text)'", fix: "quote the whole field and double the quote characters inside it")
            }
            fields.append(scanner.text(of: field))
            p = field.next
            if p == end { break }
            if endsTooSoon(p) { return .needsMore }
            let (next, endsRecord) = scanner.passTerminator(at: p, before: end)
            p = next
            if endsRecord {
                lines += 1
                break
            }
        }
        return .record(CSVRecord(fields: fields, line: line, byteOffset: offset + from), next: p - base, lines: lines)
    }

    /// Moves the unread bytes to the front and reads more, growing the buffer for a record longer
    /// than it (an unfinished record over the field limit is an error naming the field).
    private func refill() throws(DataError) {
        if start > 0 {
            let remaining = filled - start
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: remaining)
            }
            bufferOffset += start
            (filled, start) = (remaining, 0)
        }
        if filled == buffer.count {
            let (limit, scanner, path, line, offset) = (maximumFieldBytes, scanner, path, line, bufferOffset)
            if filled > limit {
                let error = buffer.withUnsafeBufferPointer {
                    CSVFieldLimit.error(in: $0, from: 0, to: filled, firstLine: line, offset: offset, scanner: scanner, limit: limit, path: path)
                }
                if let error { throw error }
            }
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        try fill()
    }

    private func fill() throws(DataError) {
        while !atEndOfInput && filled < buffer.count {
            let got = try stream.read(into: &buffer, at: filled, count: buffer.count - filled, offset: bufferOffset + filled)
            if got == 0 { atEndOfInput = true } else { filled += got }
        }
    }
}
