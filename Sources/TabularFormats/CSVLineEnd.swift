/// The line-end rule of the CSV chunk cutter and parser: a line end is LF, CRLF or a lone CR,
/// as in Python's `csv` module; a CRLF is one line end.
enum CSVLineEnd {
    /// Whether the byte at `p` (before `end`) ends a line: a LF, or a CR not followed by a LF
    /// (the CR of a CRLF is not counted; its LF is).
    @inline(__always)
    static func ends(at p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>) -> Bool {
        p.pointee == 0x0A || (p.pointee == 0x0D && !(p + 1 < end && p[1] == 0x0A))
    }

    /// The length of the line end at `p` (before `end`), which holds a LF or a CR: 2 for a CRLF,
    /// otherwise 1.
    @inline(__always)
    static func length(at p: UnsafePointer<UInt8>, before end: UnsafePointer<UInt8>) -> Int {
        p.pointee == 0x0D && p + 1 < end && p[1] == 0x0A ? 2 : 1
    }
}
