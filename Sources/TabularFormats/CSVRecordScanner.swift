/// The one reading of CSV quoting and record boundaries, shared by the chunk cutter, the chunk
/// parser, its row skipper, the field-size limit and the text reader (`CSVTextReader`), so they
/// cannot disagree on where a field or a record ends.
///
/// RFC 4180 as Python's `csv` module reads it, strictly: fields are separated by `separator` and
/// records by a line end (LF, CRLF or a lone CR, `CSVLineEnd`). A field that starts with a quote
/// runs to the next quote that is not doubled; inside it, separators and line ends are text and
/// a doubled quote is one quote. Anywhere else a quote is an error (a misplaced quote) that
/// changes nothing: a quote inside an unquoted field, or text after a closing quote, does not
/// open a quoted stretch. As a state machine over a record's bytes:
///
///     field start --quote--> quoted --quote--> closed --quote--> quoted (a doubled quote)
///     field start --other--> unquoted          closed --other--> unquoted (misplaced)
///     unquoted --quote--> unquoted (misplaced)
///     field start, unquoted, closed --separator--> field start; --line end--> end of record
///
/// Only a quote can move between outside and inside quotes, and it opens a quoted field exactly
/// when it starts a field (the byte before it, outside quotes, is a separator or a line end, or
/// there is none): the cutter jumps from quote to quote with `memchr` on that rule
/// (`opensQuotedField`) and scans quoted text with `closingQuote`, as `field` does.
struct CSVRecordScanner: Sendable {
    /// The field separator.
    let separator: UInt8

    /// One field as scanned from its first byte.
    struct Field {
        /// The field's text (between the quotes of a quoted field; doubled quotes still doubled).
        var contentStart: UnsafePointer<UInt8>
        var contentEnd: UnsafePointer<UInt8>
        /// Where the field ends: at its separator or line end, or at the end of the bytes.
        var next: UnsafePointer<UInt8>
        /// Whether the field is quoted, and whether its text holds doubled quotes.
        var isQuoted: Bool
        var hasDoubledQuotes: Bool
        /// The first byte against the quoting rules (a quote in an unquoted field, or the first
        /// byte after a closing quote that is not a separator or line end), or nil.
        var misplaced: UnsafePointer<UInt8>?
        /// A quoted field that does not close before the end of the bytes.
        var isUnterminated: Bool
        /// The line ends inside the quotes.
        var lineEnds: Int
    }

    /// Whether `byte` ends a field outside quotes (a separator, LF or CR).
    @inline(__always)
    func isTerminator(_ byte: UInt8) -> Bool {
        byte == separator || byte == 0x0A || byte == 0x0D
    }

    /// Whether the quote at `quote`, reached outside quotes, opens a quoted field: it is the first
    /// byte of `recordStart`'s record or follows a separator or line end.
    @inline(__always)
    func opensQuotedField(at quote: UnsafePointer<UInt8>, recordStart: UnsafePointer<UInt8>) -> Bool {
        quote == recordStart || isTerminator(quote[-1])
    }

    /// The closing quote of a quoted field whose text starts at `p` (just after the opening
    /// quote): the first quote before `end` that is not doubled, or nil when there is none. A
    /// quote at `end - 1` counts as closing (more input may show it doubled: a caller reading a
    /// stream without its end looks at the byte after it before trusting it). Counts the line
    /// ends inside and whether the text holds doubled quotes.
    @inline(__always)
    func closingQuote(from p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>, lineEnds: inout Int, doubled: inout Bool)
        -> UnsafePointer<UInt8>?
    {
        var p = p
        while p < end {
            let byte = p.pointee
            if byte == 0x22 {
                guard p + 1 < end && p[1] == 0x22 else { return p }
                doubled = true
                p += 2
                continue
            }
            if byte == 0x0A || (byte == 0x0D && !(p + 1 < end && p[1] == 0x0A)) { lineEnds += 1 }
            p += 1
        }
        return nil
    }

    /// The field starting at `start` (a field start) and ending before `end`.
    @inline(__always)
    func field(at start: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>) -> Field {
        if start < end && start.pointee == 0x22 {
            var lineEnds = 0
            var doubled = false
            guard let close = closingQuote(from: start + 1, before: end, lineEnds: &lineEnds, doubled: &doubled) else {
                return Field(
                    contentStart: start + 1, contentEnd: end, next: end, isQuoted: true, hasDoubledQuotes: doubled, misplaced: nil,
                    isUnterminated: true, lineEnds: lineEnds)
            }
            var p = close + 1
            var misplaced: UnsafePointer<UInt8>?
            if p < end && !isTerminator(p.pointee) {
                misplaced = p
                while p < end && !isTerminator(p.pointee) { p += 1 }
            }
            return Field(
                contentStart: start + 1, contentEnd: close, next: p, isQuoted: true, hasDoubledQuotes: doubled, misplaced: misplaced,
                isUnterminated: false, lineEnds: lineEnds)
        }
        var p = start
        var misplaced: UnsafePointer<UInt8>?
        while p < end {
            let byte = p.pointee
            if isTerminator(byte) { break }
            if byte == 0x22 && misplaced == nil { misplaced = p }
            p += 1
        }
        return Field(
            contentStart: start, contentEnd: p, next: p, isQuoted: false, hasDoubledQuotes: false, misplaced: misplaced,
            isUnterminated: false, lineEnds: 0)
    }

    /// Whether a blank line (a line end with nothing before it) starts at `p`.
    @inline(__always)
    func isBlankLine(at p: UnsafePointer<UInt8>) -> Bool {
        p.pointee == 0x0A || p.pointee == 0x0D
    }

    /// After a field that ended at `p` (not at `end`): a separator moves to the next field of the
    /// record, a line end to the start of the next record. Returns the position after it and
    /// whether the record ended.
    @inline(__always)
    func passTerminator(at p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>) -> (next: UnsafePointer<UInt8>, endsRecord: Bool) {
        if p.pointee == separator { return (p + 1, false) }
        return (p + CSVLineEnd.length(at: p, before: end), true)
    }

    /// The end of the record that starts at `p` (after its line end, or `end`), counting the line
    /// ends it spans (its own, and those inside quotes). A record whose quote does not close
    /// runs to `end`.
    func recordEnd(from p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>, lineEnds: inout Int) -> UnsafePointer<UInt8> {
        var p = p
        while true {
            let scanned = field(at: p, before: end)
            lineEnds += scanned.lineEnds
            p = scanned.next
            guard p < end else { return end }
            let (next, endsRecord) = passTerminator(at: p, before: end)
            p = next
            if endsRecord {
                lineEnds += 1
                return p
            }
        }
    }

    /// The field's text with each doubled quote made one, as UTF-8 (invalid bytes replaced).
    func text(of field: Field) -> String {
        withContent(of: field) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the field's text, each doubled quote made one (copied only when it
    /// holds doubled quotes).
    @inline(__always)
    func withContent<Result>(of field: Field, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        guard field.hasDoubledQuotes else {
            return body(UnsafeBufferPointer(start: field.contentStart, count: field.contentEnd - field.contentStart))
        }
        var text: [UInt8] = []
        text.reserveCapacity(field.contentEnd - field.contentStart)
        var q = field.contentStart
        while q < field.contentEnd {
            text.append(q.pointee)
            q += q.pointee == 0x22 ? 2 : 1
        }
        return text.withUnsafeBufferPointer(body)
    }
}
