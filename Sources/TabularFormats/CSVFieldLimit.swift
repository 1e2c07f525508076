import SystemIO

/// The bound on one field's (and one row's) length, `CSVOptions.maximumFieldBytes`: the errors
/// for a field or row over it, and the scan that finds which, when the reader's buffer would
/// otherwise have to grow past the limit.
enum CSVFieldLimit {
    /// The error for a field of line `line`, column `column` (1-based) longer than `limit` bytes.
    static func fieldError(path: String, line: Int, column: Int, byteOffset: Int?, limit: Int) -> DataError {
        DataError(
            .tooLarge, path: path, line: line, column: column, byteOffset: byteOffset,
            reason: "field longer than \(limit) bytes (the CSV field size limit)",
            fix: "check for a quote that is never closed or a file without line ends; for data with larger fields raise maximumFieldBytes")
    }

    /// The error for bytes `[start, end)` of `bytes`, the unfinished part of the input from a row
    /// boundary on line `firstLine` at file offset `offset`: the first field over `limit` (its
    /// line and column), else the last, unfinished row if it is over the limit (its line, and the
    /// column reached), else nil. Fields and records are `scanner`'s.
    static func error(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, firstLine: Int, offset: Int, scanner: CSVRecordScanner, limit: Int,
        path: String
    ) -> DataError? {
        guard let base = bytes.baseAddress, start < end else { return nil }
        let stop = base + end
        var p = base + start
        var (line, rowLine, column, rowStart) = (firstLine, firstLine, 1, p)
        while true {
            let field = scanner.field(at: p, before: stop)
            if field.next - p > limit {
                return fieldError(path: path, line: line, column: column, byteOffset: offset + (p - base) - start, limit: limit)
            }
            line += field.lineEnds
            p = field.next
            guard p < stop else { break }
            let (next, endsRecord) = scanner.passTerminator(at: p, before: stop)
            p = next
            if endsRecord {
                line += 1
                (column, rowStart, rowLine) = (1, p, line)
            } else {
                column += 1
            }
        }
        guard stop - rowStart > limit else { return nil }
        return DataError(
            .tooLarge, path: path, line: rowLine, column: column, byteOffset: offset + (rowStart - base) - start,
            reason: "row longer than \(limit) bytes (the CSV field size limit bounds rows too: a whole row is held in memory)",
            fix: "check for a quote that is never closed or missing line ends; for data with longer rows raise maximumFieldBytes")
    }
}
