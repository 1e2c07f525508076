/// The two things a JSON parser may accept that a pipeline file must not hold: a key given twice
/// in one object (JSONSerialization and JSONDecoder keep the first, Python's `json` the last, so
/// the file means different things to different readers) and a comma before `}` or `]`. A
/// scanner, not a decoder: it walks the tokens once with an explicit stack (no recursion, so any
/// nesting depth is safe) and stops quietly at any other syntax error, which the decoder then
/// reports as before.
public enum StrictJSON {
    /// A duplicate key or a trailing comma: where it is and in which object.
    public struct Problem: Equatable, Sendable {
        /// 1-based line.
        public var line: Int
        /// 1-based column in bytes.
        public var column: Int
        /// 0-based byte offset.
        public var byteOffset: Int
        /// The dotted key path (`pipeline.batch_size`, `model.layers[2]`), nil for the top level.
        public var keyPath: String?
        /// What is wrong.
        public var reason: String
        /// What to do.
        public var fix: String
    }

    /// The deepest nesting scanned.
    static let maximumDepth = 512

    private enum Container {
        case object(path: String?, keys: [String: Int], expectingKey: Bool, afterComma: Bool)
        case array(path: String?, count: Int, afterComma: Bool)
    }

    /// The first duplicate key or trailing comma in `bytes`, or nil (also for text that is not
    /// JSON in another way: the decoder reports that).
    public static func firstProblem(in bytes: [UInt8]) -> Problem? {
        var scanner = Scanner(bytes: bytes)
        var stack: [Container] = []
        var pendingKey: String?  // the key whose value comes next
        var colonSeen = false
        while let token = scanner.next() {
            switch token.kind {
            case .open(let isObject):
                // Deeper than any pipeline file (and than the decoder accepts): left to the decoder.
                guard stack.count < maximumDepth, valueAllowed(stack, key: pendingKey, colon: colonSeen) else { return nil }
                let path = childPath(stack, key: pendingKey)
                (pendingKey, colonSeen) = (nil, false)
                markValue(&stack)
                stack.append(
                    isObject ? .object(path: path, keys: [:], expectingKey: true, afterComma: false) : .array(path: path, count: 0, afterComma: false)
                )
            case .close(let isObject):
                guard pendingKey == nil, let top = stack.popLast() else { return nil }
                switch top {
                case .object(let path, _, _, let afterComma):
                    guard isObject else { return nil }
                    if afterComma { return trailingComma(scanner, at: token.offset, path: path, closing: "}") }
                case .array(let path, _, let afterComma):
                    guard !isObject else { return nil }
                    if afterComma { return trailingComma(scanner, at: token.offset, path: path, closing: "]") }
                }
            case .comma:
                guard let top = stack.popLast() else { return nil }
                switch top {
                case .object(let path, let keys, let expectingKey, let afterComma):
                    guard !expectingKey, !afterComma, pendingKey == nil else { return nil }
                    stack.append(.object(path: path, keys: keys, expectingKey: true, afterComma: true))
                case .array(let path, let count, let afterComma):
                    guard count > 0, !afterComma else { return nil }
                    stack.append(.array(path: path, count: count, afterComma: true))
                }
                scanner.lastComma = token.offset
            case .colon:
                guard pendingKey != nil, !colonSeen else { return nil }
                colonSeen = true
            case .string(let text):
                if case .object(let path, var keys, true, _) = stack.last {
                    let keyPath = path.map { "\($0).\(text)" } ?? text
                    if let first = keys[text] {
                        let position = scanner.position(of: first)
                        return Problem(
                            line: scanner.position(of: token.offset).line, column: scanner.position(of: token.offset).column,
                            byteOffset: token.offset, keyPath: keyPath,
                            reason:
                                "the key '\(text)' appears a second time in its object (first at line \(position.line), column \(position.column))",
                            fix: "keep one of them (readers disagree on which wins)")
                    }
                    keys[text] = token.offset
                    stack[stack.count - 1] = .object(path: path, keys: keys, expectingKey: false, afterComma: false)
                    pendingKey = text
                } else {
                    guard valueAllowed(stack, key: pendingKey, colon: colonSeen) else { return nil }
                    (pendingKey, colonSeen) = (nil, false)
                    markValue(&stack)
                }
            case .scalar:
                guard valueAllowed(stack, key: pendingKey, colon: colonSeen) else { return nil }
                (pendingKey, colonSeen) = (nil, false)
                markValue(&stack)
            }
        }
        return nil
    }

    private static func trailingComma(_ scanner: Scanner, at offset: Int, path: String?, closing: String) -> Problem {
        let comma = scanner.lastComma ?? offset
        let position = scanner.position(of: comma)
        return Problem(
            line: position.line, column: position.column, byteOffset: comma, keyPath: path,
            reason: "a trailing comma before '\(closing)'", fix: "remove the comma after the last entry")
    }

    /// Whether a value may come now: at the top level, after a key and its colon in an object,
    /// or in an array after `[` or a comma.
    private static func valueAllowed(_ stack: [Container], key: String?, colon: Bool) -> Bool {
        switch stack.last {
        case nil: return true
        case .object: return key != nil && colon
        case .array(_, let count, let afterComma): return count == 0 || afterComma
        }
    }

    /// Records that the innermost array got an element.
    private static func markValue(_ stack: inout [Container]) {
        if case .array(let path, let count, _) = stack.last {
            stack[stack.count - 1] = .array(path: path, count: count + 1, afterComma: false)
        }
    }

    /// The key path of a container opened now: the pending key in an object, the index in an array.
    private static func childPath(_ stack: [Container], key: String?) -> String? {
        switch stack.last {
        case nil: return nil
        case .object(let path, _, _, _): return key.map { key in path.map { "\($0).\(key)" } ?? key }
        case .array(let path, let count, _): return (path ?? "") + "[\(count)]"
        }
    }
}

/// The tokens of JSON text with their byte offsets; strings decoded (escapes included).
private struct Scanner {
    enum Kind {
        case open(isObject: Bool)
        case close(isObject: Bool)
        case comma, colon
        case string(String)
        case scalar
    }

    let bytes: [UInt8]
    var offset = 0
    var lastComma: Int?

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The next token, or nil at the end or at text that is not a token.
    mutating func next() -> (kind: Kind, offset: Int)? {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
        guard offset < bytes.count else { return nil }
        let start = offset
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "{"): return (.open(isObject: true), start)
        case UInt8(ascii: "["): return (.open(isObject: false), start)
        case UInt8(ascii: "}"): return (.close(isObject: true), start)
        case UInt8(ascii: "]"): return (.close(isObject: false), start)
        case UInt8(ascii: ","): return (.comma, start)
        case UInt8(ascii: ":"): return (.colon, start)
        case UInt8(ascii: "\""): return string().map { (.string($0), start) }
        default:
            while offset < bytes.count, !Array("{}[],:\" \t\r\n".utf8).contains(bytes[offset]) { offset += 1 }
            return (.scalar, start)
        }
    }

    /// The string after an opening quote, escapes decoded; nil if it does not end.
    private mutating func string() -> String? {
        var units: [UInt16] = []
        var raw: [UInt8] = []
        func flush() {
            units += String(decoding: raw, as: UTF8.self).utf16
            raw.removeAll()
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            if byte == UInt8(ascii: "\"") {
                flush()
                return String(decoding: units, as: UTF16.self)
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                continue
            }
            guard offset < bytes.count else { return nil }
            let escape = bytes[offset]
            offset += 1
            flush()
            switch escape {
            case UInt8(ascii: "b"): units.append(0x08)
            case UInt8(ascii: "f"): units.append(0x0C)
            case UInt8(ascii: "n"): units.append(0x0A)
            case UInt8(ascii: "r"): units.append(0x0D)
            case UInt8(ascii: "t"): units.append(0x09)
            case UInt8(ascii: "u"):
                guard offset + 4 <= bytes.count, let unit = UInt16(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16) else {
                    return nil
                }
                offset += 4
                units.append(unit)
            default: units.append(UInt16(escape))
            }
        }
        return nil
    }

    /// The 1-based line and byte column of `offset`.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }
}
