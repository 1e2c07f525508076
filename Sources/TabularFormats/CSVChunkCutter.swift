import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds where chunks of a CSV byte stream end.
///
/// A chunk starts at a row boundary and ends just after the first line end outside quotes at or
/// after `start + chunkBytes - 1` (or at the end of the input). A line end is LF, CRLF or a lone
/// CR, as in Python's `csv` module. Whether a position is inside
/// quotes follows from the parity of the quote characters since the chunk's start (a doubled
/// quote toggles twice), so the cut is found with `memchr` jumps, without tokenizing. The same
/// rule applied to the same bytes always gives the same chunks.
enum CSVChunkCutter {
    /// The end (exclusive) of the chunk starting at `start`, or nil when more input is needed.
    static func cut(_ base: UnsafePointer<UInt8>, count: Int, from start: Int, chunkBytes: Int, atEndOfInput: Bool) -> Int? {
        var inQuotes = false
        let target = min(start + max(chunkBytes, 1) - 1, count)
        var p = start
        while p < target, let q = find(0x22, base + p, target - p) {
            inQuotes.toggle()
            p = q - base + 1
        }
        p = max(p, target)
        while p < count {
            if inQuotes {
                guard let q = find(0x22, base + p, count - p) else { break }
                inQuotes = false
                p = q - base + 1
                continue
            }
            guard let lineEnd = findLineEnd(base + p, count - p).map({ $0 - base }) else { break }
            if let q = find(0x22, base + p, lineEnd - p) {
                inQuotes = true
                p = q - base + 1
                continue
            }
            if base[lineEnd] == 0x0D {
                // A CR ends the row; a LF right after it belongs to the same line end.
                if lineEnd + 1 < count { return lineEnd + CSVLineEnd.length(at: base + lineEnd, before: base + count) }
                return atEndOfInput ? count : nil
            }
            return lineEnd + 1
        }
        return atEndOfInput ? count : nil
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
