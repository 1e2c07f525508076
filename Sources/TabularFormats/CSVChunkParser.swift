import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Parses complete CSV rows. Why its own parser: speed (a byte loop over a buffer with a byte
/// class table, numbers parsed in place as they are scanned, no string per field) and exact
/// positions for errors; general CSV libraries build a string per field.
///
/// RFC 4180: fields separated by `separator`, rows by LF, CRLF or a lone CR (as Python's `csv`
/// module reads them); a field that starts with a
/// quote runs to the matching quote and may hold separators, doubled quotes and newlines; a
/// quote inside an unquoted field, or text after a closing quote, is an error. Fully blank
/// lines are skipped (as pandas does).
struct CSVChunkParser: Sendable {
    let layout: CSVLayout
    let options: CSVOptions
    let path: String
    /// Per column: a feature slot (>= 0), the label (-1) or ignored (-2).
    private let roles: [Int]
    let givenLabels: [[UInt8]]
    /// Byte classes: 1 separator, 2 LF, 3 CR, 4 quote, 0 anything else.
    private let classes: [UInt8]
    /// The first feature slot that must hold 0 or 1 (the first target's, with `binaryTargets`;
    /// else beyond every slot).
    let firstBinarySlot: Int

    init(layout: CSVLayout, options: CSVOptions, path: String) {
        self.layout = layout
        self.options = options
        self.path = path
        roles = layout.roles.map { role in
            switch role {
            case .feature(let slot): return slot
            case .label: return -1
            case .ignored: return -2
            }
        }
        if case .given(let names) = options.labelMapping {
            givenLabels = names.map { Array($0.utf8) }
        } else {
            givenLabels = []
        }
        var classes = [UInt8](repeating: 0, count: 256)
        classes[0x0A] = 2
        classes[0x0D] = 3
        classes[0x22] = 4
        classes[Int(options.separator)] = 1
        self.classes = classes
        firstBinarySlot = options.binaryTargets ? layout.featureNames.count - options.targetColumns.count : Int.max
    }

    /// Parses `bytes`, which start at a row boundary on line `firstLine` and hold whole rows (the
    /// last may lack its newline) and at most `lineEnds` line ends (LF, CRLF or lone CR).
    /// With `keep`, only the rows whose number in the chunk (0-based, counting every non-blank
    /// row) it accepts are parsed; the others are only scanned past. Use it only on chunks known
    /// to hold no bad row (their numbering would otherwise differ from the index pass's).
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, lineEnds: Int, keep: ((Int) -> Bool)? = nil) -> ParsedChunk {
        var chunk = ParsedChunk()
        guard let base = bytes.baseAddress, bytes.count > 0 else { return chunk }
        let featureCount = layout.featureNames.count
        // A row that is kept has at least one byte per column (separators and its line end) and
        // is not blank: the capacity follows from the bytes too, not only from the line ends (a
        // quoted field full of line ends would otherwise reserve rows it cannot hold).
        let maximumRows = min(lineEnds, bytes.count / max(1, layout.columnCount)) + 1
        chunk.lines.reserveCapacity(maximumRows)
        chunk.labels.reserveCapacity(maximumRows)
        chunk.features = [Float](unsafeUninitializedCapacity: maximumRows * featureCount) { out, initialized in
            let rows = roles.withUnsafeBufferPointer { roles in
                classes.withUnsafeBufferPointer { classes in
                    parseRows(
                        base, base + bytes.count, firstLine: firstLine, out: out.baseAddress!, roles: roles, classes: classes, keep: keep,
                        chunk: &chunk)
                }
            }
            initialized = rows * featureCount
        }
        return chunk
    }

    private func parseRows(
        _ base: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, firstLine: Int, out: UnsafeMutablePointer<Float>,
        roles: UnsafeBufferPointer<Int>, classes: UnsafeBufferPointer<UInt8>, keep: ((Int) -> Bool)?, chunk: inout ParsedChunk
    ) -> Int {
        let featureCount = layout.featureNames.count
        let columnCount = roles.count
        let limit = options.maximumFieldBytes
        var rowCount = 0
        var rowNumber = -1
        var line = firstLine
        var p = base
        @inline(__always) func isTerminator(_ q: UnsafePointer<UInt8>) -> Bool {
            if q == end { return true }
            let kind = classes[Int(q.pointee)]
            return kind == 1 || kind == 2 || kind == 3
        }
        rows: while p < end {
            let rowLine = line
            if p.pointee == 0x0A || p.pointee == 0x0D {  // a blank line
                p += CSVLineEnd.length(at: p, before: end)
                line += 1
                continue
            }
            rowNumber += 1
            if let keep, !keep(rowNumber) {
                skipRow(&p, end, line: &line, classes: classes)
                continue
            }
            let row = out + rowCount * featureCount
            var column = 0
            var problem: FieldProblem?
            var label = -1
            while true {
                let role = column < columnCount ? roles[column] : -2
                if p < end && p.pointee == 0x22 {
                    let fieldLine = line
                    p += 1
                    let contentStart = p
                    var escaped = false
                    while true {
                        while p < end && p.pointee != 0x22 {
                            if CSVLineEnd.ends(at: p, before: end) { line += 1 }
                            p += 1
                        }
                        if p == end {
                            chunk.fatal = DataError(
                                .unterminatedQuote, path: path, line: fieldLine, column: column + 1,
                                reason: "quoted field is never closed",
                                fix: "close the quote, and double every quote character inside the field")
                            break rows
                        }
                        if p + 1 < end && p[1] == 0x22 {
                            escaped = true
                            p += 2
                            continue
                        }
                        break
                    }
                    let contentEnd = p
                    if contentEnd - contentStart > limit {
                        chunk.fatal = CSVFieldLimit.fieldError(path: path, line: fieldLine, column: column + 1, byteOffset: nil, limit: limit)
                        break rows
                    }
                    p += 1
                    if !isTerminator(p) {
                        problem = problem ?? FieldProblem(kind: .misplacedQuote, start: contentStart, stop: p, line: line, column: column)
                        while p < end && classes[Int(p.pointee)] != 1 && classes[Int(p.pointee)] != 2 && classes[Int(p.pointee)] != 3 { p += 1 }
                    }
                    if problem == nil && role != -2 {
                        if escaped {
                            var text: [UInt8] = []
                            var q = contentStart
                            while q < contentEnd {
                                text.append(q.pointee)
                                q += q.pointee == 0x22 ? 2 : 1
                            }
                            problem = text.withUnsafeBufferPointer { t in
                                field(
                                    role, t.baseAddress!, t.baseAddress! + t.count, line: fieldLine, column: column, row: row, label: &label,
                                    localLabels: &chunk.localLabels)
                            }
                            if problem != nil {
                                problem = FieldProblem(kind: problem!.kind, start: contentStart, stop: contentEnd, line: fieldLine, column: column)
                            }
                        } else {
                            problem = field(
                                role, contentStart, contentEnd, line: fieldLine, column: column, row: row, label: &label,
                                localLabels: &chunk.localLabels)
                        }
                    }
                } else if role >= 0, let (value, next) = DecimalParser.prefix(p, end), isTerminator(next), next - p <= limit {
                    row[role] = value
                    if role >= firstBinarySlot && value != 0 && value != 1 {
                        problem = problem ?? FieldProblem(kind: .unknownLabel, start: p, stop: next, line: line, column: column)
                    }
                    p = next
                } else {
                    let fieldStart = p
                    while p < end {
                        let kind = classes[Int(p.pointee)]
                        if kind == 0 {
                            p += 1
                            continue
                        }
                        if kind == 4 {
                            problem = problem ?? FieldProblem(kind: .misplacedQuote, start: fieldStart, stop: p + 1, line: line, column: column)
                            p += 1
                            continue
                        }
                        break
                    }
                    if p - fieldStart > limit {
                        chunk.fatal = CSVFieldLimit.fieldError(path: path, line: line, column: column + 1, byteOffset: nil, limit: limit)
                        break rows
                    }
                    if problem == nil && role != -2 {
                        problem = field(role, fieldStart, p, line: line, column: column, row: row, label: &label, localLabels: &chunk.localLabels)
                    }
                }
                column += 1
                if p < end && classes[Int(p.pointee)] == 1 {
                    p += 1
                    continue
                }
                if p < end {
                    p += CSVLineEnd.length(at: p, before: end)
                    line += 1
                }
                break
            }
            if problem == nil && column != columnCount {
                chunk.badRows.append(
                    DataError(
                        .raggedRow, path: path, line: rowLine, column: column < columnCount ? column + 1 : columnCount + 1,
                        reason: "row has \(column) fields but the header has \(columnCount)",
                        fix: "give every row \(columnCount) fields (quote fields that contain the separator)"))
            } else if let problem {
                chunk.badRows.append(error(problem))
            } else {
                chunk.labels.append(label)
                chunk.lines.append(rowLine)
                rowCount += 1
                continue
            }
            // Under `.fail` the first bad row is the answer; under `.skip` every row is read, so
            // every good row arrives and every bad one is counted and listed.
            if case .fail = options.badInput { break }
        }
        return rowCount
    }

    /// Moves `p` past one row without parsing its fields (quoted fields may hold separators and
    /// line ends), counting its lines.
    private func skipRow(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, line: inout Int, classes: UnsafeBufferPointer<UInt8>) {
        while p < end {
            let kind = classes[Int(p.pointee)]
            if kind == 4 {  // a quoted stretch: to its closing quote (doubled quotes stay inside)
                p += 1
                while p < end {
                    if p.pointee == 0x22 {
                        if p + 1 < end && p[1] == 0x22 {
                            p += 2
                            continue
                        }
                        p += 1
                        break
                    }
                    if CSVLineEnd.ends(at: p, before: end) { line += 1 }
                    p += 1
                }
                continue
            }
            if kind == 2 || kind == 3 {
                p += CSVLineEnd.length(at: p, before: end)
                line += 1
                return
            }
            p += 1
        }
    }
}
