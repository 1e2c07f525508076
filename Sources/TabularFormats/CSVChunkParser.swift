import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parses complete CSV rows. Why its own parser: speed (a byte loop over a buffer, numbers
/// parsed in place as they are scanned, no string per field) and exact positions for errors;
/// general CSV libraries build a string per field.
///
/// Fields, quotes and records follow `CSVRecordScanner` (RFC 4180 as Python's `csv` module reads
/// it; a quote inside an unquoted field, or text after a closing quote, is an error), the rules
/// the chunk cutter, the row skipper and `CSVTextReader` share. Fully blank lines are skipped (as
/// pandas does).
struct CSVChunkParser: Sendable {
    let layout: CSVLayout
    let options: CSVOptions
    let path: String
    let scanner: CSVRecordScanner
    /// Per column: a feature slot (>= 0), the label (-1), ignored (-2), or categorical column k
    /// (-3 - k).
    private let roles: [Int]
    let givenLabels: [[UInt8]]
    /// Per categorical column: its fixed categories' indices (given, or worked out by the
    /// opening pass), or nil to number them by first appearance in each chunk.
    let categoryIndices: [[String: Int]?]
    /// Per categorical column: its feature slot.
    let categorySlots: [Int]
    /// The number parser's tables, fetched once (not per field).
    private let decimalTables = DecimalTables.shared
    /// The first feature slot that must hold 0 or 1 (the first target's, with `binaryTargets`;
    /// else beyond every slot).
    let firstBinarySlot: Int

    /// A parser for rows laid out as `layout` says; `categories` fixes the categories of the
    /// categorical columns it gives (the others are numbered per chunk).
    init(layout: CSVLayout, options: CSVOptions, path: String, categories: [[String]?]? = nil) {
        self.layout = layout
        self.options = options
        self.path = path
        scanner = CSVRecordScanner(separator: options.separator)
        roles = layout.roles.map { role in
            switch role {
            case .feature(let slot): return slot
            case .category(let index, _): return -3 - index
            case .label: return -1
            case .ignored: return -2
            }
        }
        if case .given(let names) = options.labelMapping {
            givenLabels = names.map { Array($0.utf8) }
        } else {
            givenLabels = []
        }
        categorySlots = layout.categorySlots
        categoryIndices = (categories ?? layout.givenCategories).map { values in
            values.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        }
        firstBinarySlot = options.binaryTargets ? layout.featureNames.count - options.targetColumns.count : Int.max
    }

    /// Parses `bytes`, which start at a record boundary on line `firstLine`, at `byteOffset` in
    /// the file, and hold whole records (the last may lack its line end). With `keep`, only the
    /// rows whose number in the chunk (0-based, counting every non-blank row) it accepts are
    /// parsed; the others are only scanned past. Use it only on chunks known to hold no bad row
    /// (their numbering would otherwise differ from the index pass's).
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, byteOffset: Int, keep: ((Int) -> Bool)? = nil) -> ParsedChunk {
        var chunk = ParsedChunk()
        guard let base = bytes.baseAddress, bytes.count > 0 else { return chunk }
        let featureCount = layout.featureNames.count
        // A row that is kept has at least one byte per column (separators and its line end): the
        // capacity follows from the bytes, without a pass to count rows (the memory is only
        // touched as far as rows are written, and the features are copied into a tensor).
        let maximumRows = bytes.count / max(1, layout.columnCount) + 1
        chunk.localCategories = [[String]](repeating: [], count: categoryIndices.count)
        // Each row's line and label go straight into memory of their own (an append per row
        // checks the array's uniqueness and capacity).
        let rowValues = UnsafeMutablePointer<Int>.allocate(capacity: 2 * maximumRows)
        defer { rowValues.deallocate() }
        var rows = 0
        chunk.features = [Float](unsafeUninitializedCapacity: maximumRows * featureCount) { out, initialized in
            let position = ChunkPosition(base: base, end: base + bytes.count, firstLine: firstLine, byteOffset: byteOffset)
            rows = roles.withUnsafeBufferPointer { roles in
                parseRows(
                    position, out: RowOutput(features: out.baseAddress!, lines: rowValues, labels: rowValues + maximumRows), roles: roles,
                    keep: keep, chunk: &chunk)
            }
            initialized = rows * featureCount
        }
        chunk.lines = Array(UnsafeBufferPointer(start: rowValues, count: rows))
        chunk.labels = Array(UnsafeBufferPointer(start: rowValues + maximumRows, count: rows))
        return chunk
    }

    /// Where parsed rows go: `featureCount` values, a line and a label per row.
    struct RowOutput {
        var features: UnsafeMutablePointer<Float>
        var lines: UnsafeMutablePointer<Int>
        var labels: UnsafeMutablePointer<Int>
    }

    /// Where a chunk lies: its bytes, its first line and its offset in the file.
    struct ChunkPosition {
        var base: UnsafePointer<UInt8>
        var end: UnsafePointer<UInt8>
        var firstLine: Int
        var byteOffset: Int

        /// The file offset of `p`.
        func offset(of p: UnsafePointer<UInt8>) -> Int { byteOffset + (p - base) }
    }

    private func parseRows(
        _ position: ChunkPosition, out: RowOutput, roles: UnsafeBufferPointer<Int>, keep: ((Int) -> Bool)?,
        chunk: inout ParsedChunk
    ) -> Int {
        let (base, end) = (position.base, position.end)
        let featureCount = layout.featureNames.count
        let columnCount = roles.count
        let limit = options.maximumFieldBytes
        let tables = decimalTables
        let numericLabels = options.labelMapping == .numeric
        let maximumClasses = Float(options.maximumClasses)
        let scanner = self.scanner
        var localIndices = [[String: Int]](repeating: [:], count: categoryIndices.count)
        var rowCount = 0
        var rowNumber = -1
        var line = position.firstLine
        var p = base
        rows: while p < end {
            let rowLine = line
            let rowStart = p
            if scanner.isBlankLine(at: p) {
                p += CSVLineEnd.length(at: p, before: end)
                line += 1
                continue
            }
            rowNumber += 1
            if let keep, !keep(rowNumber) {
                var lineEnds = 0
                p = scanner.recordEnd(from: p, before: end, lineEnds: &lineEnds)
                line += lineEnds
                continue
            }
            let row = out.features + rowCount * featureCount
            var column = 0
            var problem: FieldProblem?
            var label = -1
            while true {
                let role = column < columnCount ? roles[column] : -2
                if role >= 0 || (role == -1 && numericLabels), let (value, next) = DecimalParser.prefix(p, end, tables: tables),
                    next == end || scanner.isTerminator(next.pointee), next - p <= limit
                {
                    // The common case: an unquoted number (a feature, or a class index), parsed as
                    // it is scanned; `field` decides the same on the general path.
                    if role >= 0 {
                        row[role] = value
                        if role >= firstBinarySlot && value != 0 && value != 1 {
                            problem = problem ?? FieldProblem(kind: .unknownLabel, start: p, stop: next, line: line, column: column)
                        }
                    } else if value >= 0 && value < maximumClasses && value == value.rounded(.towardZero) {
                        label = Int(value)
                    } else {
                        problem = problem ?? FieldProblem(kind: .unknownLabel, start: p, stop: next, line: line, column: column)
                    }
                    p = next
                } else {
                    let field = scanner.field(at: p, before: end)
                    let fieldLine = line
                    line += field.lineEnds
                    if field.isUnterminated {
                        chunk.fatal = DataError(
                            .unterminatedQuote, path: path, line: fieldLine, column: column + 1, byteOffset: position.offset(of: p),
                            reason: "quoted field is never closed",
                            fix: "close the quote, and double every quote character inside the field")
                        break rows
                    }
                    if field.contentEnd - field.contentStart > limit {
                        chunk.fatal = CSVFieldLimit.fieldError(
                            path: path, line: fieldLine, column: column + 1, byteOffset: position.offset(of: p), limit: limit)
                        break rows
                    }
                    if let misplaced = field.misplaced {
                        problem =
                            problem ?? FieldProblem(kind: .misplacedQuote, start: field.contentStart, stop: misplaced + 1, line: line, column: column)
                    } else if problem == nil && role != -2 {
                        problem = scanner.withContent(of: field) { text in
                            self.field(
                                role, text.baseAddress ?? field.contentStart, (text.baseAddress ?? field.contentStart) + text.count,
                                line: fieldLine, column: column, row: row, label: &label, chunk: &chunk, localIndices: &localIndices)
                        }
                        // A problem found in an unescaped copy names the field's own bytes.
                        if field.hasDoubledQuotes, let found = problem {
                            problem = FieldProblem(
                                kind: found.kind, start: field.contentStart, stop: field.contentEnd, line: fieldLine, column: column)
                        }
                    }
                    p = field.next
                }
                column += 1
                guard p < end else { break }
                let (next, endsRecord) = scanner.passTerminator(at: p, before: end)
                p = next
                if endsRecord {
                    line += 1
                    break
                }
            }
            if problem == nil && column != columnCount {
                chunk.badRows.append(
                    DataError(
                        .raggedRow, path: path, line: rowLine, column: column < columnCount ? column + 1 : columnCount + 1,
                        byteOffset: position.offset(of: rowStart), reason: "row has \(column) fields but the header has \(columnCount)",
                        fix: "give every row \(columnCount) fields (quote fields that contain the separator)"))
            } else if let problem {
                chunk.badRows.append(error(problem, byteOffset: position.offset(of: problem.start)))
            } else {
                out.labels[rowCount] = label
                out.lines[rowCount] = rowLine
                rowCount += 1
                continue
            }
            // Under `.fail` the first bad row is the answer; under `.skip` every row is read, so
            // every good row arrives and every bad one is counted and listed.
            if case .fail = options.badInput { break }
        }
        // Complete unless the chunk ended in an error (then the reader stops at it).
        chunk.lineEnds = line - position.firstLine
        return rowCount
    }
}
