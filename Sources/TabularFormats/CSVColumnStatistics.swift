import SystemIO

/// What a `CSVReader` learns about the columns as it reads, in one streaming pass: each
/// categorical column's categories (given, or in order of first appearance) and the sums of the
/// numeric columns filled by their mean (`MissingValuePolicy.mean`). Only the rows the reader
/// counts (the training rows of a split) add categories and values; chunks arrive in file order,
/// so the result does not depend on the thread count.
struct CSVColumnStatistics: Sendable {
    private let layout: CSVLayout
    private let path: String
    private let maximumCategories: Int
    private let categorySlots: [Int]
    /// Per categorical column: whether its categories come from the file (not given).
    private let isOpen: [Bool]
    /// Per categorical column: its categories so far, and their indices.
    private(set) var categories: [[String]]
    private var indices: [[String: Int]]
    /// The feature slots filled by their mean, and the sum and count of their values.
    private let meanSlots: [Int]
    private var sums: [Double]
    private var counts: [Int]

    init(layout: CSVLayout, options: CSVOptions, path: String) {
        self.layout = layout
        self.path = path
        maximumCategories = max(1, options.maximumCategories)
        categorySlots = layout.categorySlots
        isOpen = layout.givenCategories.map { $0 == nil }
        categories = layout.givenCategories.map { $0 ?? [] }
        indices = categories.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        meanSlots = layout.fills.indices.filter { layout.fills[$0]?.isNaN == true }
        sums = [Double](repeating: 0, count: meanSlots.count)
        counts = [Int](repeating: 0, count: meanSlots.count)
    }

    /// Records the rows of `chunk`, which are rows `firstRow...` of the file (good rows, in file
    /// order); `counts` says which of them add categories and values (nil: all). A categorical
    /// slot's chunk-local index becomes the column's category index (-1 for a row not counted
    /// whose value no counted row has had so far). Throws when a column's categories from the
    /// file grow past `maximumCategories`.
    mutating func record(_ chunk: inout ParsedChunk, firstRow: Int, counts counted: ((Int) -> Bool)?) throws(DataError) {
        let width = layout.featureNames.count
        let rows = chunk.rowCount
        guard width > 0, rows > 0, !(categorySlots.isEmpty && meanSlots.isEmpty) else { return }
        let countedRows = (0..<rows).map { counted?(firstRow + $0) ?? true }
        // Row by row (not column by column), so that a limit error names the first line over it.
        var resolved = chunk.localCategories.map { [Int](repeating: -1, count: $0.count) }
        for row in 0..<rows {
            for (index, slot) in categorySlots.enumerated() where isOpen[index] {
                let code = Int(chunk.features[row * width + slot])
                if resolved[index][code] < 0 {
                    let value = chunk.localCategories[index][code]
                    if let known = indices[index][value] {
                        resolved[index][code] = known
                    } else if countedRows[row] {
                        guard categories[index].count < maximumCategories else {
                            throw tooManyCategories(column: layout.categoricalColumns[index], line: chunk.lines[row])
                        }
                        resolved[index][code] = categories[index].count
                        indices[index][value] = categories[index].count
                        categories[index].append(value)
                    }
                }
                chunk.features[row * width + slot] = Float(resolved[index][code])
            }
        }
        for (index, slot) in meanSlots.enumerated() {
            for row in 0..<rows where countedRows[row] {
                let value = chunk.features[row * width + slot]
                if !value.isNaN {
                    sums[index] += Double(value)
                    counts[index] += 1
                }
            }
        }
    }

    /// The categorical columns' categories, by header name.
    var namedCategories: [CSVCategories] {
        zip(layout.categoricalColumns, categories).map { CSVCategories(column: layout.columnNames[$0], values: $1) }
    }

    /// Every numeric feature column's fill value (given, the policy's value, or the mean of its
    /// counted values), by header name; columns whose empty fields are errors are left out.
    /// Throws when a column to be filled by its mean has no value in the counted rows.
    func fills() throws(DataError) -> [CSVFill] {
        let columns = layout.slotColumns
        var fills: [CSVFill] = []
        for (slot, fill) in layout.fills.enumerated() {
            guard var value = fill else { continue }
            if value.isNaN, let index = meanSlots.firstIndex(of: slot) {
                guard counts[index] > 0 else {
                    throw DataError(
                        .emptyDataset, path: path, column: columns[slot] + 1,
                        reason: "column '\(layout.columnNames[columns[slot]])' has no values in the training rows to take the mean of",
                        fix: "give some values, leave the column out (ignore_columns), or fill empty fields with zero (dataset.missing \"zero\")")
                }
                value = Float(sums[index] / Double(counts[index]))
            }
            fills.append(CSVFill(column: layout.columnNames[columns[slot]], value: value))
        }
        return fills
    }

    private func tooManyCategories(column: Int, line: Int) -> DataError {
        DataError(
            .tooLarge, path: path, line: line, column: column + 1,
            reason: "categorical column '\(layout.columnNames[column])' has more than \(maximumCategories) different values "
                + "(each category becomes an input of its own)",
            fix: "leave it out of the categorical columns (an identifier is not a category: ignore_columns leaves it out), "
                + "or list the categories to keep (dataset.categories; any other value is the unknown category)")
    }
}
