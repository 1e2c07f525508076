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
    /// column reached), else nil. Quotes toggle the quoted state, as the chunk cutter counts them.
    static func error(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, firstLine: Int, offset: Int, separator: UInt8, limit: Int,
        path: String
    ) -> DataError? {
        var (line, fieldLine, rowLine) = (firstLine, firstLine, firstLine)
        var (column, fieldStart, rowStart) = (1, start, start)
        var inQuotes = false
        var p = start
        while p < end {
            if p - fieldStart > limit {
                return fieldError(path: path, line: fieldLine, column: column, byteOffset: offset + fieldStart - start, limit: limit)
            }
            let byte = bytes[p]
            p += 1
            if byte == 0x22 {
                inQuotes.toggle()
            } else if byte == separator && !inQuotes {
                (column, fieldStart, fieldLine) = (column + 1, p, line)
            } else if byte == 0x0A || byte == 0x0D {
                if byte == 0x0D && p < end && bytes[p] == 0x0A { p += 1 }
                line += 1
                if !inQuotes { (column, fieldStart, fieldLine, rowStart, rowLine) = (1, p, line, p, line) }
            }
        }
        if end - fieldStart > limit {
            return fieldError(path: path, line: fieldLine, column: column, byteOffset: offset + fieldStart - start, limit: limit)
        }
        guard end - rowStart > limit else { return nil }
        return DataError(
            .tooLarge, path: path, line: rowLine, column: column, byteOffset: offset + rowStart - start,
            reason: "row longer than \(limit) bytes (the CSV field size limit bounds rows too: a whole row is held in memory)",
            fix: "check for a quote that is never closed or missing line ends; for data with longer rows raise maximumFieldBytes")
    }
}
