extension PlainHTTPClient {
    /// The most bytes of one chunk-size line (the size and any chunk extensions).
    static let maximumChunkLineBytes = 4096

    /// Reads the body `head` frames. More than `maximumBytes` (announced or arriving) stops the
    /// reading at once with `ShardFetchError.oversized`; a body that ends early is a transient error.
    func body(of head: HTTPResponseHead, from connection: HTTPConnection, maximumBytes: Int) throws -> [UInt8] {
        switch try head.framing(transfer: transfer) {
        case .length(let length):
            guard length <= maximumBytes else { throw ShardFetchError.oversized(transfer.name, limit: maximumBytes) }
            var body = [UInt8]()
            body.reserveCapacity(length)
            while body.count < length {
                if connection.buffered == 0, try !connection.receive() {
                    throw ShardFetchError(isTransient: true, reason: "\(transfer.name): body of \(body.count) bytes, expected \(length)")
                }
                body += connection.take(upTo: length - body.count)
            }
            return body
        case .untilClose:
            var body = [UInt8]()
            repeat {
                body += connection.take(upTo: connection.buffered)
                guard body.count <= maximumBytes else { throw ShardFetchError.oversized(transfer.name, limit: maximumBytes) }
            } while try connection.receive()
            return body
        case .chunked:
            return try chunkedBody(from: connection, maximumBytes: maximumBytes)
        }
    }

    /// A body in chunked transfer coding: `size[;extensions] CRLF data CRLF`, ..., `0 CRLF`,
    /// trailer fields, `CRLF` (RFC 9112 7.1). Extensions and trailers are read and ignored.
    private func chunkedBody(from connection: HTTPConnection, maximumBytes: Int) throws -> [UInt8] {
        var body = [UInt8]()
        while true {
            var lineBudget = PlainHTTPClient.maximumChunkLineBytes
            let line = try connection.line("chunk-size line", budget: &lineBudget, limit: PlainHTTPClient.maximumChunkLineBytes)
            let size = try chunkSize(line)
            if size == 0 { break }
            guard size <= maximumBytes - body.count else { throw ShardFetchError.oversized(transfer.name, limit: maximumBytes) }
            let end = body.count + size
            while body.count < end {
                if connection.buffered == 0, try !connection.receive() { throw transfer.closedEarly("in the middle of a chunk") }
                body += connection.take(upTo: end - body.count)
            }
            var endBudget = 2
            guard try connection.line("end of a chunk", budget: &endBudget, limit: 2).isEmpty else {
                throw transfer.malformed("a chunk is longer than its size line says")
            }
        }
        var trailerBudget = HTTPResponseHead.maximumBytes
        while try !connection.line("trailer fields", budget: &trailerBudget, limit: HTTPResponseHead.maximumBytes).isEmpty {}
        return body
    }

    /// The size a chunk-size line gives: hexadecimal digits, then optional whitespace and `;`
    /// extensions; a size that overflows `Int` is larger than any limit.
    private func chunkSize(_ line: ArraySlice<UInt8>) throws -> Int {
        let digits = line.prefix { $0 != 59 && $0 != 32 && $0 != 9 }  // up to `;`, space or tab
        let rest = line[digits.endIndex...].drop { $0 == 32 || $0 == 9 }
        guard !digits.isEmpty, rest.isEmpty || rest.first == 59 else {
            throw transfer.malformed("a chunk-size line \"\(HTTPResponseHead.printable(line.prefix(80)))\"")
        }
        var size = 0
        for digit in digits {
            let value: Int
            switch digit {
            case 48...57: value = Int(digit) - 48
            case 65...70: value = Int(digit) - 55
            case 97...102: value = Int(digit) - 87
            default: throw transfer.malformed("a chunk-size line \"\(HTTPResponseHead.printable(line.prefix(80)))\"")
            }
            let (shifted, overflow) = size.multipliedReportingOverflow(by: 16)
            if overflow { return Int.max }
            size = shifted + value
        }
        return size
    }
}
