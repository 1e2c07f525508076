import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension CSVChunkParser {
    /// The general path for one field's text `[start, stop)`: every numeric form, empty fields,
    /// categories and labels.
    func field(
        _ role: Int, _ start: UnsafePointer<UInt8>, _ stop: UnsafePointer<UInt8>, line: Int, column: Int,
        row: UnsafeMutablePointer<Float>, label: inout Int, chunk: inout ParsedChunk, localIndices: inout [[String: Int]]
    ) -> FieldProblem? {
        func problem(_ kind: DataError.Kind) -> FieldProblem {
            FieldProblem(kind: kind, start: start, stop: stop, line: line, column: column)
        }
        if role >= 0 {
            switch DecimalParser.parse(start, stop) {
            case .value(let value):
                row[role] = value
            case .empty:
                // A target (the row's last values) is never filled in (`CSVLayout.fills`).
                guard let fill = layout.fills[role] else { return problem(.emptyField) }
                row[role] = fill
            case .nonFinite(let value):
                guard options.nonFinite == .allow else { return problem(.nonFinite) }
                row[role] = value
            case .invalid:
                return problem(.notANumber)
            }
            // A multi-label target is a 0/1 label.
            return role >= firstBinarySlot && row[role] != 0 && row[role] != 1 ? problem(.unknownLabel) : nil
        }
        if role <= -3 {
            let index = -3 - role
            let value = String(decoding: UnsafeBufferPointer(start: start, count: stop - start), as: UTF8.self)
            let code: Int
            if let fixed = categoryIndices[index] {
                code = fixed[value] ?? fixed.count
            } else if let local = localIndices[index][value] {
                code = local
            } else {
                code = chunk.localCategories[index].count
                localIndices[index][value] = code
                chunk.localCategories[index].append(value)
            }
            row[categorySlots[index]] = Float(code)
            return nil
        }
        switch options.labelMapping {
        case .numeric:
            guard case .value(let value) = DecimalParser.parse(start, stop), value >= 0, value < Float(options.maximumClasses),
                value == value.rounded(.towardZero)
            else { return problem(.unknownLabel) }
            label = Int(value)
        case .given:
            let count = stop - start
            guard let index = givenLabels.firstIndex(where: { $0.count == count && memcmp($0, start, count) == 0 }) else {
                return problem(.unknownLabel)
            }
            label = index
        case .firstAppearance:
            let value = String(decoding: UnsafeBufferPointer(start: start, count: stop - start), as: UTF8.self)
            if let index = chunk.localLabels.firstIndex(of: value) {
                label = index
            } else {
                label = chunk.localLabels.count
                chunk.localLabels.append(value)
            }
        }
        return nil
    }
}
