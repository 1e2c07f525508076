import Foundation

/// The status line and header fields of an HTTP/1.x response, read within a byte budget (64 KiB
/// for the status line and all fields, interim 1xx responses included), and how its body is framed.
struct HTTPResponseHead {
    /// How the body ends.
    enum Framing: Equatable {
        /// After this many bytes (`Int.max` for a Content-Length too large to represent).
        case length(Int)
        /// In chunked transfer coding.
        case chunked
        /// When the server closes the connection.
        case untilClose
    }

    /// The most bytes of status lines and header fields one response may send.
    static let maximumBytes = 1 << 16

    /// The status code.
    let status: Int
    /// The header fields, names in lowercase, in the order received.
    let fields: [(name: String, value: String)]

    /// The values of field `name` (lowercase), in order.
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// Reads a response's head from `connection`, skipping interim (1xx) responses.
    static func read(from connection: HTTPConnection, transfer: HTTPTransfer) throws -> HTTPResponseHead {
        var budget = maximumBytes
        while true {
            let status = try statusCode(of: connection.line("response headers", budget: &budget, limit: maximumBytes), transfer: transfer)
            var fields: [(name: String, value: String)] = []
            while true {
                let line = try connection.line("response headers", budget: &budget, limit: maximumBytes)
                if line.isEmpty { break }
                fields.append(try field(line, transfer: transfer))
            }
            if status == 101 { throw transfer.malformed("the server switched protocols (HTTP 101)") }
            if status >= 200 { return HTTPResponseHead(status: status, fields: fields) }
        }
    }

    /// The code of a status line `HTTP/1.x NNN reason`.
    private static func statusCode(of line: ArraySlice<UInt8>, transfer: HTTPTransfer) throws -> Int {
        let parts = line.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)), parts[1].count == 3,
            parts[1].allSatisfy({ (48...57).contains($0) }), let code = Int(String(decoding: parts[1], as: UTF8.self)), code >= 100
        else {
            throw transfer.malformed("not an HTTP/1.x status line: \"\(printable(line.prefix(80)))\"")
        }
        return code
    }

    /// A `name: value` field line (folded lines, obsolete since RFC 7230, are refused).
    private static func field(_ line: ArraySlice<UInt8>, transfer: HTTPTransfer) throws -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
            line[..<colon].allSatisfy({ $0 > 32 && $0 < 127 })
        else {
            throw transfer.malformed("not a header field: \"\(printable(line.prefix(80)))\"")
        }
        let value = line[(colon + 1)...].drop { $0 == 32 || $0 == 9 }
        let trimmed = value.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
        return (String(decoding: line[..<colon], as: UTF8.self).lowercased(), String(decoding: trimmed, as: UTF8.self))
    }

    /// How the body is framed: Transfer-Encoding wins over Content-Length (RFC 9112 6.3). Only
    /// the identity and chunked codings are accepted (`Accept-Encoding: identity` was sent).
    func framing(transfer: HTTPTransfer) throws -> Framing {
        if status == 204 || status == 304 { return .length(0) }
        for coding in values("content-encoding").flatMap(HTTPResponseHead.list) where coding != "identity" {
            throw ShardFetchError(
                isTransient: false, reason: "\(transfer.name): the server sent a body in \(coding) content coding, not the identity asked for")
        }
        let codings = values("transfer-encoding").flatMap(HTTPResponseHead.list)
        if !codings.isEmpty {
            for coding in codings.dropLast() where coding != "identity" {
                throw ShardFetchError(isTransient: false, reason: "\(transfer.name): unsupported transfer coding \(coding)")
            }
            switch codings.last {
            case "chunked": return .chunked
            case "identity": return .untilClose
            case let other: throw ShardFetchError(isTransient: false, reason: "\(transfer.name): unsupported transfer coding \(other ?? "")")
            }
        }
        let lengths = Set(values("content-length").flatMap(HTTPResponseHead.list))
        guard let length = lengths.first else { return .untilClose }
        guard lengths.count == 1, !length.isEmpty, length.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw transfer.malformed("Content-Length \(lengths.sorted().joined(separator: ", "))")
        }
        // Digits only: a value too large for Int is larger than any limit.
        return .length(Int(length) ?? Int.max)
    }

    /// The lowercase items of a comma-separated field value.
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: [" ", "\t"]).lowercased() }.filter { !$0.isEmpty }
    }

    /// `bytes` for a message: control and non-ASCII bytes as `?`.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { (32..<127).contains($0) ? $0 : 63 }, as: UTF8.self)
    }
}
