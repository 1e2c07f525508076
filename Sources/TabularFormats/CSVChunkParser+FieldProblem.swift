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
    /// The typed error for a field problem, with the field's text; `byteOffset` is the field's
    /// place in the file.
    func error(_ problem: FieldProblem, byteOffset: Int?) -> DataError {
        let count = problem.stop - problem.start
        var text = String(decoding: UnsafeBufferPointer(start: problem.start, count: min(count, 64)), as: UTF8.self)
        if count > 64 { text += "..." }
        // A misplaced quote can sit in a field past the header's last column (a row with too many
        // fields): that column has no name.
        let column =
            options.hasHeader && problem.column < layout.columnNames.count ? "'\(layout.columnNames[problem.column])'" : "#\(problem.column)"
        let (reason, fix): (String, String)
        // A target is never filled in, allowed non-finite or left out of the features:
        // the cell is fixed, or its row dropped.
        let targetFix = "fix the value in the file, or drop the row: pipeline.skip_bad_fraction (such as 0.01) leaves out rows that cannot be read"
        switch problem.kind {
        case .emptyField where isTarget(column: problem.column):
            (reason, fix) = ("empty field in target column \(column)", targetFix)
        case .nonFinite where isTarget(column: problem.column):
            (reason, fix) = ("'\(text)' in target column \(column) is not a finite number", targetFix)
        case .notANumber where isTarget(column: problem.column):
            (reason, fix) = ("'\(text)' in target column \(column) is not a number", targetFix)
        case .unknownLabel where isTarget(column: problem.column):
            (reason, fix) = (
                "'\(text)' in target column \(column) is not 0 or 1 (multi-label targets mark each label absent or present)",
                "write 0 or 1 in the file, or drop the row: pipeline.skip_bad_fraction (such as 0.01) leaves out rows that cannot be read; "
                    + "numeric targets need a regression loss (mean-squared-error, mean-absolute-error or huber)"
            )
        case .emptyField:
            (reason, fix) = (
                "empty field in numeric column \(column)",
                "fill it in, or set how missing values are filled: dataset.missing \"mean\" (the training rows' mean) or \"zero\" "
                    + "(CSVOptions.missingValues in code)"
            )
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
        return DataError(problem.kind, path: path, line: problem.line, column: problem.column + 1, byteOffset: byteOffset, reason: reason, fix: fix)
    }

    /// Whether file column `column` is a target (regression or multi-label; parsed as one of each row's last values).
    func isTarget(column: Int) -> Bool {
        guard !options.targetColumns.isEmpty, column < layout.roles.count, case .feature(let slot) = layout.roles[column] else { return false }
        return slot >= layout.featureNames.count - options.targetColumns.count
    }
}
