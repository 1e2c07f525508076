import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 file server on 127.0.0.1 or ::1 (an ephemeral port), for staging tests: it serves
/// a directory, counts requests per path, and injects faults on request. It stops when told to
/// (or when released); every connection is closed after one response.
public final class LoopbackHTTPServer: @unchecked Sendable {
    /// A fault served instead of the file.
    public enum Fault: Sendable {
        /// Answer with this status and an empty body.
        case status(Int)
        /// Send the headers and half the body, then close the connection.
        case dropMidBody
        /// Send the file with one byte changed.
        case corrupt
        /// Send the file followed by `extraBytes` zero bytes, in 64 KiB writes, with a matching
        /// Content-Length or (when `announced` is false) none, ending the body by closing.
        case oversized(extraBytes: Int, announced: Bool)
        /// Send the headers (with the true Content-Length) and `bytes` bytes of the body, then
        /// nothing more until the client closes the connection or the server stops.
        case stall(afterBytes: Int)
        /// Announce `announced` bytes in Content-Length but send the whole file and close.
        case wrongLength(announced: Int)
        /// Send the file and then zero bytes without end, with no Content-Length (ending the
        /// body would take closing) or, when `chunked`, in chunked transfer encoding, until the
        /// client closes the connection or the server stops.
        case endless(chunked: Bool)
        /// Send these bytes (a whole response, status line and headers included) and close.
        case raw([UInt8])
        /// Send the headers (with the true Content-Length) and `bytes` bytes of the body, then
        /// reset the connection (an RST, not an orderly close).
        case reset(afterBytes: Int)
        /// Send the headers (with the true Content-Length), then the body one byte every
        /// `interval` seconds (never stalling for longer), until it is sent, the client closes
        /// the connection or the server stops.
        case trickle(interval: Double)
    }

    /// The port listened on.
    public let port: Int
    private let directory: String
    private let listener: Int32
    private let host: String
    private let state = Mutex<(faults: [String: [Fault]], counts: [String: Int], heads: [String: String], running: Bool)>(([:], [:], [:], true))

    /// Starts serving `directory` on 127.0.0.1, or on ::1 when `ipv6` (throwing when the
    /// machine has no IPv6 loopback).
    public init(directory: String, ipv6: Bool = false) throws {
        self.directory = directory
        host = ipv6 ? "[::1]" : "127.0.0.1"
        let listener = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        self.listener = listener
        var port: UInt16 = 0
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            port = try LoopbackHTTPServer.listen(listener, &address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            port = try LoopbackHTTPServer.listen(listener, &address)
        }
        self.port = Int(port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit {
        stop()
    }

    /// Binds `listener` to `address` (port 0), listens, and returns the port chosen.
    private static func listen<Address>(_ listener: Int32, _ address: inout Address) throws -> UInt16 {
        var length = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, Glibc.listen(listener, 16) == 0 else {
            close(listener)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        // The port is the first field after the family in both sockaddr_in and sockaddr_in6.
        return withUnsafeBytes(of: &address) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// The URL of a path on this server.
    public func url(_ path: String) -> URL { URL(string: "http://\(host):\(port)/\(path)")! }

    /// Serves `faults` (in order, one per request) for `path` before serving it normally.
    public func inject(_ faults: [Fault], for path: String) {
        state.withLock { $0.faults[path, default: []] += faults }
    }

    /// Requests received per path.
    public var requestCounts: [String: Int] { state.withLock { $0.counts } }

    /// The last request's head (request line and header fields, CR LF line ends) per path.
    public var requestHeads: [String: String] { state.withLock { $0.heads } }

    /// Stops accepting connections.
    public func stop() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.running = false }
            return state.running
        }
        if wasRunning {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private func serve() {
        while state.withLock({ $0.running }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            respond(connection)
            close(connection)
        }
    }

    private func respond(_ connection: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let got = recv(connection, &buffer, buffer.count, 0)
            guard got > 0 else { return }
            request += buffer[0..<got]
            if request.count > 65536 { return }
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2 else { return }
        let path = String(line[1].dropFirst())
        let fault = state.withLock { state -> Fault? in
            state.counts[path, default: 0] += 1
            state.heads[path] = String(decoding: request, as: UTF8.self)
            guard var queue = state.faults[path], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.faults[path] = queue
            return first
        }
        guard var body = try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(path)")) else {
            send(connection, Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        switch fault {
        case .status(let code):
            send(connection, Array("HTTP/1.1 \(code) Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        case .dropMidBody:
            send(
                connection,
                Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + Array(body.prefix(body.count / 2)))
            return
        case .corrupt:
            body[body.count / 2] ^= 0xFF
        case .oversized(let extra, let announced):
            let length = announced ? "Content-Length: \(body.count + extra)\r\n" : ""
            guard send(connection, Array("HTTP/1.1 200 OK\r\n\(length)Connection: close\r\n\r\n".utf8) + Array(body)) else { return }
            var sent = body.count
            let block = [UInt8](repeating: 0, count: 1 << 16)
            while sent < body.count + extra, send(connection, Array(block.prefix(body.count + extra - sent))) {
                sent += min(block.count, body.count + extra - sent)
            }
            return
        case .stall(let bytes):
            let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            guard send(connection, head + Array(body.prefix(bytes))) else { return }
            waitForClose(connection)
            return
        case .wrongLength(let announced):
            send(connection, Array("HTTP/1.1 200 OK\r\nContent-Length: \(announced)\r\nConnection: close\r\n\r\n".utf8) + Array(body))
            return
        case .endless(let chunked):
            let head = chunked ? "Transfer-Encoding: chunked\r\n" : ""
            let block = [UInt8](repeating: 0, count: 1 << 16)
            func framed(_ bytes: [UInt8]) -> [UInt8] {
                chunked ? Array("\(String(bytes.count, radix: 16))\r\n".utf8) + bytes + [13, 10] : bytes
            }
            guard send(connection, Array("HTTP/1.1 200 OK\r\n\(head)Connection: close\r\n\r\n".utf8) + framed(Array(body))) else { return }
            while state.withLock({ $0.running }), send(connection, framed(block)) {}
            return
        case .raw(let bytes):
            send(connection, bytes)
            return
        case .reset(let bytes):
            let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            send(connection, head + Array(body.prefix(bytes)))
            // A zero linger time makes close(2) send an RST.
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            return
        case .trickle(let interval):
            guard send(connection, Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)) else { return }
            for byte in body {
                guard !waitForClose(connection, atMost: interval), send(connection, [byte]) else { return }
            }
            return
        case nil:
            break
        }
        send(connection, Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + Array(body))
    }

    /// Waits until the client closes `connection` (or the server stops), without reading more;
    /// with `seconds`, for at most that long. True when the connection closed or the server stopped.
    @discardableResult
    private func waitForClose(_ connection: Int32, atMost seconds: Double? = nil) -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        let end = seconds.map { DispatchTime.now().uptimeNanoseconds + UInt64($0 * 1e9) }
        while state.withLock({ $0.running }) {
            let now = DispatchTime.now().uptimeNanoseconds
            if let end, now >= end { return false }
            let milliseconds = end.map { Int32(min(100, ($0 - now + 999_999) / 1_000_000)) } ?? 100
            var descriptor = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR { return true }
            if ready > 0 && recv(connection, &scratch, scratch.count, 0) <= 0 { return true }
        }
        return true
    }

    /// Sends all of `bytes`; false when the connection failed first.
    @discardableResult
    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard result > 0 else { return false }
            sent += result
        }
        return true
    }
}
