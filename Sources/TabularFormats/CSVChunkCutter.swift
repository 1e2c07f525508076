#if canImport(Glibc)
import DataPipeline
import Glibc
import SystemIO
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds where chunks of a CSV byte stream end.
///
/// A chunk starts at a row boundary and ends just after the first line feed outside quotes at or
/// after `start + chunkBytes - 1` (or at the end of the input). Whether a position is inside
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
            guard let newline = find(0x0A, base + p, count - p) else { break }
            let lineEnd = newline - base
            if let q = find(0x22, base + p, lineEnd - p) {
                inQuotes = true
                p = q - base + 1
                continue
            }
            return lineEnd + 1
        }
        return atEndOfInput ? count : nil
    }

    /// The number of line feeds in `[start, end)`.
    static func lineFeeds(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var total = 0
        var p = start
        while p < end, let found = find(0x0A, base + p, end - p) {
            total += 1
            p = found - base + 1
        }
        return total
    }

    @inline(__always)
    private static func find(_ byte: Int32, _ pointer: UnsafePointer<UInt8>, _ length: Int) -> UnsafePointer<UInt8>? {
        guard length > 0, let found = memchr(pointer, byte, length) else { return nil }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
    }
}
