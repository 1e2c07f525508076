import Foundation

/// A table for people: columns padded to their widest cell, numbers right-aligned, a rule under
/// the header.
struct TextTable {
    /// The column titles.
    var headers: [String]
    /// The rows (each as many cells as there are headers).
    var rows: [[String]]

    /// The table as lines of text, each ending in a newline.
    func rendered() -> String {
        let columns = headers.count
        let cells = rows.map { row in (0..<columns).map { $0 < row.count ? row[$0] : "" } }
        let widths = (0..<columns).map { column in ([headers[column]] + cells.map { $0[column] }).map(\.count).max() ?? 0 }
        // A column whose cells are all numbers reads right-aligned.
        let numeric = (0..<columns).map { column in
            !cells.isEmpty && cells.allSatisfy { Double($0[column].trimmingCharacters(in: CharacterSet(charactersIn: "%"))) != nil }
        }
        func line(_ row: [String]) -> String {
            (0..<columns).map { column in
                let padding = String(repeating: " ", count: widths[column] - row[column].count)
                if column == columns - 1 && !numeric[column] { return row[column] }
                return numeric[column] ? padding + row[column] : row[column] + padding
            }.joined(separator: "  ") + "\n"
        }
        var text = line(headers)
        text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in cells { text += line(row) }
        return text
    }
}
