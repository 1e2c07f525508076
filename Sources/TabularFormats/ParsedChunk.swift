import SystemIO

/// The rows of one chunk, parsed.
struct ParsedChunk: Sendable {
    /// Row-major features, `rowCount * featureCount`.
    var features: [Float] = []
    /// Class indices (into `localLabels` under `.firstAppearance`), -1 without a label column.
    var labels: [Int] = []
    /// The 1-based line on which each row starts.
    var lines: [Int] = []
    /// Under `.firstAppearance`: this chunk's label texts in order of first appearance.
    var localLabels: [String] = []
    /// Per categorical column read without fixed categories: this chunk's values in order of
    /// first appearance (the feature slot holds the index into it).
    var localCategories: [[String]] = []
    /// Rows that could not be read, in order.
    var badRows: [DataError] = []
    /// An error after which the rest of the chunk cannot be read (an unterminated quote).
    var fatal: DataError?
    /// The line ends in the chunk's bytes (LF, CRLF or a lone CR, quoted ones too), as far as
    /// the parser went (all of them unless it stopped at an error).
    var lineEnds = 0

    var rowCount: Int { lines.count }

    /// Moves every line number by `count` (the reader parses the chunks of a wave from line 0,
    /// before it knows their first lines).
    mutating func shiftLines(by count: Int) {
        guard count != 0 else { return }
        for index in lines.indices { lines[index] += count }
        for index in badRows.indices { badRows[index].line = badRows[index].line.map { $0 + count } }
        if let line = fatal?.line { fatal?.line = line + count }
    }
}
