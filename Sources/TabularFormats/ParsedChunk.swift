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
    /// Rows that could not be read, in order.
    var badRows: [DataError] = []
    /// An error after which the rest of the chunk cannot be read (an unterminated quote).
    var fatal: DataError?

    var rowCount: Int { lines.count }
}
