import DataPipeline
import SystemIO

/// What is wrong with one field; turned into a `DataError` only when it happens.
struct FieldProblem {
    var kind: DataError.Kind
    var start: UnsafePointer<UInt8>
    var stop: UnsafePointer<UInt8>
    var line: Int
    var column: Int
}

extension CSVChunkParser {
    /// The typed error for a field problem, with the field's text.
    func error(_ problem: FieldProblem) -> DataError {
        let count = problem.stop - problem.start
        var text = String(decoding: UnsafeBufferPointer(start: problem.start, count: min(count, 64)), as: UTF8.self)
        if count > 64 { text += "..." }
        // A misplaced quote can sit in a field past the header's last column (a row with too many
        // fields): that column has no name.
        let column =
            options.hasHeader && problem.column < layout.columnNames.count ? "'\(layout.columnNames[problem.column])'" : "#\(problem.column)"
        let (reason, fix): (String, String)
        switch problem.kind {
        case .emptyField:
            (reason, fix) = ("empty field in numeric column \(column)", "fill it in, or give a fill value for empty fields")
        case .nonFinite:
            (reason, fix) = ("'\(text)' in column \(column) is not a finite number", "replace it, or allow non-finite values")
        case .notANumber:
            (reason, fix) = ("'\(text)' in numeric column \(column) is not a number", "correct the value, or leave the column out of the features")
        case .misplacedQuote:
            (reason, fix) = ("misplaced quote in field '\(text)'", "quote the whole field and double the quote characters inside it")
        default:
            switch options.labelMapping {
            case .numeric:
                if case .value(let value) = DecimalParser.parse(problem.start, problem.stop), value >= Float(options.maximumClasses),
                    value == value.rounded(.towardZero)
                {
                    // A class index this large would make as many classes (and output units).
                    (reason, fix) = (
                        "label '\(text)' is beyond the largest class index, \(options.maximumClasses - 1) (at most \(options.maximumClasses) classes)",
                        "correct the row; if the data really has more classes, raise the reader's maximumClasses"
                    )
                } else {
                    (reason, fix) = (
                        "label '\(text)' is not a class index (a non-negative integer)",
                        "use integer labels, or map text labels by first appearance or from a list"
                    )
                }
            default:
                (reason, fix) = ("label '\(text)' is not one of the given classes", "add it to the class list or correct the row")
            }
        }
        return DataError(problem.kind, path: path, line: problem.line, column: problem.column + 1, reason: reason, fix: fix)
    }
}
