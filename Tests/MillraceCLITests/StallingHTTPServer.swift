import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP server that serves a folder's files until `servedShards` shard files were
/// sent, then answers no more shard request: it reads the request and keeps the connection open
/// without a byte (a stalled server). It counts the requests it left hanging.
final class StallingHTTPServer: @unchecked Sendable {
    let port: Int
    private let directory: String
    private let listener: Int32
    private let state = Mutex<(served: Int, stalled: [Int32], running: Bool)>((0, [], true))
    private let servedShards: Int

    init(directory: String, servedShards: Int) throws {
        self.directory = directory
        self.servedShards = servedShards
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve() }.start()
    }

    deinit { stop() }

    /// Shard requests left without an answer so far.
    var stalledRequests: Int { state.withLock { $0.stalled.count } }

    /// Stops listening and closes the stalled connections.
    func stop() {
        let (wasRunning, stalled) = state.withLock { state -> (Bool, [Int32]) in
            defer {
                state.running = false
                state.stalled = []
            }
            return (state.running, state.stalled)
        }
        if wasRunning {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
        for connection in stalled { close(connection) }
    }

    private func serve() {
        while state.withLock({ $0.running }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var request = [UInt8](repeating: 0, count: 4096)
            let count = read(connection, &request, request.count)
            let line = String(decoding: request.prefix(max(0, count)), as: UTF8.self).split(separator: " ")
            let path = line.count > 1 ? String(line[1].dropFirst()) : ""
            let isShard = path.hasSuffix(".mrshard")
            let stalls = state.withLock { state -> Bool in
                guard isShard else { return false }
                if state.served >= servedShards {
                    state.stalled.append(connection)
                    return true
                }
                state.served += 1
                return false
            }
            if stalls { continue }
            let body = FileManager.default.contents(atPath: directory + "/" + path)
            var response = Array(
                (body.map { "HTTP/1.1 200 OK\r\nContent-Length: \($0.count)\r\n" } ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n").utf8)
            response += Array("Connection: close\r\n\r\n".utf8) + Array(body ?? Data())
            var sent = 0
            while sent < response.count {
                let result = response[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard result > 0 else { break }
                sent += result
            }
            close(connection)
        }
    }
}
