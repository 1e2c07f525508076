import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds where chunks of a CSV byte stream end.
///
/// A chunk starts at a record boundary and ends just after the first line end outside quotes at
/// or after `start + chunkBytes - 1` (or at the end of the input). Quotes follow
/// `CSVRecordScanner`'s rules, the parser's: the cutter jumps from quote to quote with `memchr`,
/// and a quote opens a quoted field only where it starts a field (`opensQuotedField`), so a
/// misplaced quote in a bad row moves no boundary. The same rule applied to the same bytes always
/// gives the same chunks.
enum CSVChunkCutter {
    /// The end (exclusive) of the chunk starting at `start`, or nil when more input is needed.
    static func cut(
        _ base: UnsafePointer<UInt8>, count: Int, from start: Int, chunkBytes: Int, atEndOfInput: Bool, scanner: CSVRecordScanner
    ) -> Int? {
        let end = base + count
        let recordStart = base + start
        let target = base + min(start + max(chunkBytes, 1) - 1, count)
        var p = recordStart
        // Past every quoted field that starts before the target.
        while p < target, let quote = find(0x22, p, target - p) {
            p = quote + 1
            guard scanner.opensQuotedField(at: quote, recordStart: recordStart) else { continue }
            guard let close = closingQuote(scanner, from: p, before: end) else { return atEndOfInput ? count : nil }
            p = close + 1
        }
        p = max(p, target)
        // The first line end outside quotes from there.
        while p < end {
            guard let lineEnd = findLineEnd(p, end - p) else { break }
            if let quote = find(0x22, p, lineEnd - p) {
                p = quote + 1
                guard scanner.opensQuotedField(at: quote, recordStart: recordStart) else { continue }
                guard let close = closingQuote(scanner, from: p, before: end) else { break }
                p = close + 1
                continue
            }
            if lineEnd.pointee == 0x0D {
                // A CR ends the record; a LF right after it belongs to the same line end.
                if lineEnd + 1 < end { return lineEnd - base + CSVLineEnd.length(at: lineEnd, before: end) }
                return atEndOfInput ? count : nil
            }
            return lineEnd - base + 1
        }
        return atEndOfInput ? count : nil
    }

    /// The scanner's closing quote (line ends and doubled quotes are not needed here).
    @inline(__always)
    private static func closingQuote(_ scanner: CSVRecordScanner, from p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>)
        -> UnsafePointer<UInt8>?
    {
        var lineEnds = 0
        var doubled = false
        return scanner.closingQuote(from: p, before: end, lineEnds: &lineEnds, doubled: &doubled)
    }

    /// The number of line ends (LF, CRLF or a lone CR) in `[start, end)`, counting a CR at `end - 1`
    /// as one: every LF, plus every CR not followed by a LF, each found with `memchr` jumps.
    static func lineEnds(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        let stop = base + end
        var total = 0
        var p = base + start
        while p < stop, let q = find(0x0A, p, stop - p) {
            total += 1
            p = q + 1
        }
        p = base + start
        while p < stop, let q = find(0x0D, p, stop - p) {
            if CSVLineEnd.ends(at: q, before: stop) { total += 1 }
            p = q + 1
        }
        return total
    }

    /// The first LF or CR in `[pointer, pointer + length)`.
    @inline(__always)
    private static func findLineEnd(_ pointer: UnsafePointer<UInt8>, _ length: Int) -> UnsafePointer<UInt8>? {
        var q = pointer
        let end = pointer + length
        while q < end {
            if q.pointee == 0x0A || q.pointee == 0x0D { return q }
            q += 1
        }
        return nil
    }

    @inline(__always)
    private static func find(_ byte: Int32, _ pointer: UnsafePointer<UInt8>, _ length: Int) -> UnsafePointer<UInt8>? {
        guard length > 0, let found = memchr(pointer, byte, length) else { return nil }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
    }
}
