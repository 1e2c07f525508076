import SystemIO

/// The classes a CSV file's labels make, checked once the file has been read under
/// `CSVOptions.checksClasses` (training data): at least two classes must occur, and numeric
/// labels, which are class ids (the class count is the largest label + 1), may leave at most
/// half of the ids 0...largest unused. A stray `99` among labels 0-9 would otherwise make a
/// 100-class model in silence; the error names the line of the largest label.
struct CSVLabelCensus {
    /// Whether each class id up to the largest seen occurs (numeric labels).
    private var occurs: [Bool] = []
    /// The distinct numeric labels seen.
    private var distinct = 0
    /// The largest numeric label seen, and the line it first appears on.
    private var largest = -1
    private var largestLine = 0

    /// Records numeric labels (class ids below `CSVOptions.maximumClasses`) and their lines.
    mutating func record(labels: [Int], lines: [Int]) {
        for (label, line) in zip(labels, lines) where label >= 0 {
            if label >= occurs.count { occurs += repeatElement(false, count: label + 1 - occurs.count) }
            if !occurs[label] {
                occurs[label] = true
                distinct += 1
            }
            if label > largest { (largest, largestLine) = (label, line) }
        }
    }

    /// Throws when the classes the labels make are not a classification problem: fewer than two
    /// occur (`classNames` for text labels), or numeric ids leave more than half unused.
    /// `labelColumn` (1-based) and `labelName` place the label in messages.
    func check(mapping: LabelMapping, classNames: [String], path: String, labelColumn: Int, labelName: String) throws(DataError) {
        let numeric = mapping == .numeric
        let occurring = numeric ? distinct : classNames.count
        guard occurring >= 2 else {
            let found =
                occurring == 0
                ? "the file holds no labelled rows (only a header)"
                : "every row has the same label (\(numeric ? String(largest) : "'\(classNames[0])'"), 1 class)"
            throw DataError(
                .emptyDataset, path: path, reason: "\(found); a classifier needs at least 2 classes",
                fix: "give training data whose column '\(labelName)' holds at least 2 different labels")
        }
        guard numeric else { return }
        let ids = largest + 1
        guard (ids - distinct) * 2 > ids else { return }
        throw DataError(
            .unknownLabel, path: path, line: largestLine, column: labelColumn,
            reason:
                "label \(largest) makes \(ids) classes (numeric labels are class ids 0 to the largest), but only \(distinct) of them occur: "
                + "more than half of the ids are unused",
            fix:
                "numeric labels must be class ids 0 to N-1: correct the label on line \(largestLine), renumber the classes, "
                + "or set dataset.labels to \"text\" to treat labels as names")
    }
}
