/// A JSON value, with objects kept as ordered key-value pairs so duplicates can be seen.
indirect enum HeaderJSON {
    case object([HeaderMember])
    case array([HeaderJSON])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
}

/// One key-value pair of a JSON object.
struct HeaderMember {
    var key: String
    var value: HeaderJSON
}

/// A small strict JSON parser for safetensors headers. Why not Foundation's: it keeps only the
/// last of duplicate keys, and a header with a duplicated tensor name must be refused. Depth and
/// size are bounded by the header, itself bounded by the file.
struct HeaderJSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one value followed only by whitespace; returns nil with a reason on failure.
    static func parse(_ bytes: [UInt8]) -> Result<HeaderJSON, HeaderJSONFailure> {
        var parser = HeaderJSONParser(bytes)
        do {
            let value = try parser.value()
            parser.skipWhitespace()
            guard parser.index == bytes.count else { throw HeaderJSONFailure(reason: "unexpected data after the JSON value", offset: parser.index) }
            return .success(value)
        } catch let failure as HeaderJSONFailure {
            return .failure(failure)
        } catch {
            return .failure(HeaderJSONFailure(reason: "\(error)", offset: parser.index))
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func fail(_ reason: String) -> HeaderJSONFailure { HeaderJSONFailure(reason: reason, offset: index) }

    private mutating func value() throws -> HeaderJSON {
        skipWhitespace()
        guard index < bytes.count else { throw fail("the JSON ends early") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else { throw fail("invalid literal") }
        index += expected.count
    }

    private mutating func object() throws -> HeaderJSON {
        var members: [HeaderMember] = []
        try list(closing: "}") {
            $0.skipWhitespace()
            guard $0.index < $0.bytes.count, $0.bytes[$0.index] == UInt8(ascii: "\"") else { throw $0.fail("expected a key") }
            let key = try $0.string()
            $0.skipWhitespace()
            guard $0.index < $0.bytes.count, $0.bytes[$0.index] == UInt8(ascii: ":") else { throw $0.fail("expected ':'") }
            $0.index += 1
            members.append(HeaderMember(key: key, value: try $0.value()))
        }
        return .object(members)
    }

    private mutating func array() throws -> HeaderJSON {
        var elements: [HeaderJSON] = []
        try list(closing: "]") { elements.append(try $0.value()) }
        return .array(elements)
    }

    /// The items of an object or array from its opening bracket to `closing`: none, or `item`s
    /// separated by commas; nesting deeper than 16 is refused.
    private mutating func list(closing: Unicode.Scalar, item: (inout Self) throws -> Void) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 16 else { throw fail("JSON nested too deeply") }
        index += 1
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: closing) {
            index += 1
            return
        }
        while true {
            try item(&self)
            skipWhitespace()
            guard index < bytes.count else { throw fail("the JSON ends early") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: closing) else { throw fail("expected ',' or '\(closing)'") }
            index += 1
            return
        }
    }

    private mutating func string() throws -> String {
        index += 1
        var scalars: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard let text = String(validating: scalars, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                return text
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count, let code = UInt32(String(decoding: bytes[(index + 1)...(index + 4)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw fail("invalid \\u escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                    index += 4
                default: throw fail("invalid escape")
                }
                index += 1
                continue
            }
            scalars.append(byte)
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func number() throws -> HeaderJSON {
        let start = index
        while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if let integer = Int64(text) { return .integer(integer) }
        if let number = Double(text) { return .number(number) }
        index = start
        throw fail("invalid value")
    }
}

/// Why a header is not valid JSON, and where.
struct HeaderJSONFailure: Error {
    var reason: String
    var offset: Int
}
