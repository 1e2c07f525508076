#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One TCP connection of `PlainHTTPClient`: a non-blocking socket whose every wait (connecting,
/// sending, receiving) is a `poll(2)` bounded by the transfer's stall timeout and deadline, so a
/// stalled server costs no CPU. Bytes received and not yet consumed are buffered; lines are read
/// with a byte budget, so a server cannot make it buffer more than it allows.
final class HTTPConnection {
    /// Bytes asked of `recv(2)` at a time.
    static let readSize = 1 << 16

    private let descriptor: Int32
    private let transfer: HTTPTransfer
    private var pending: [UInt8] = []
    /// Bytes of `pending` before this were consumed.
    private var position = 0
    /// `pending[position..<scanned]` holds no line feed (a line is searched for only once).
    private var scanned = 0
    private var scratch = [UInt8](repeating: 0, count: HTTPConnection.readSize)

    private init(descriptor: Int32, transfer: HTTPTransfer) {
        self.descriptor = descriptor
        self.transfer = transfer
    }

    deinit {
        close(descriptor)
    }

    /// Connects to `host` (a name or an IPv4/IPv6 address) on `port`, trying each address
    /// `getaddrinfo(3)` gives in turn; each attempt waits at most the stall timeout.
    static func open(host: String, port: Int, transfer: HTTPTransfer) throws -> HTTPConnection {
        let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_NUMERICSERV
        var addresses: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &addresses)
        guard status == 0, let first = addresses else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            // A name that does not exist is not retried; a failing resolver is.
            throw ShardFetchError(
                isTransient: status != EAI_NONAME, reason: "\(transfer.name): cannot resolve the host \(host): \(reason)",
                kind: status == EAI_NONAME ? .notFound : nil)
        }
        defer { freeaddrinfo(addresses) }
        var problem = ShardFetchError(isTransient: true, reason: "\(transfer.name): cannot connect to \(shown): no usable address")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry?.pointee {
            entry = address.ai_next
            let descriptor = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
            guard descriptor >= 0 else {
                problem = transfer.failure("opening a socket for \(shown)", code: errno)
                continue
            }
            let connection = HTTPConnection(descriptor: descriptor, transfer: transfer)  // closes the socket when dropped
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            #if canImport(Darwin)
                var one: Int32 = 1
                _ = setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            if connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 { return connection }
            guard errno == EINPROGRESS || errno == EINTR else {
                problem = transfer.failure("connecting to \(shown)", code: errno)
                continue
            }
            guard try transfer.wait(for: descriptor, events: Int32(POLLOUT)) else {
                problem = ShardFetchError(
                    isTransient: true,
                    reason:
                        "\(transfer.name): cannot connect to \(shown): no answer for \(HTTPShardSource.seconds(transfer.stallTimeout)) (stall timeout)"
                )
                continue
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
            if code == 0 { return connection }
            problem = transfer.failure("connecting to \(shown)", code: code)
        }
        throw problem
    }

    /// Sends all of `bytes`; a reset connection is an error, never a SIGPIPE.
    func transmit(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + sent, buffer.count - sent, HTTPConnection.sendFlags)
            }
            if result > 0 {
                sent += result
            } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard try transfer.wait(for: descriptor, events: Int32(POLLOUT)) else { throw transfer.stalled() }
            } else {
                throw transfer.failure("sending the request", code: result < 0 ? errno : EPIPE)
            }
        }
    }

    /// Bytes buffered and not yet consumed.
    var buffered: Int { pending.count - position }

    /// Consumes and returns up to `count` buffered bytes (none when nothing is buffered).
    func take(upTo count: Int) -> ArraySlice<UInt8> {
        let end = position + min(max(count, 0), buffered)
        defer {
            position = end
            scanned = max(scanned, end)
        }
        return pending[position..<end]
    }

    /// Waits (at most the stall timeout) for more bytes and buffers them; false when the server
    /// closed the connection.
    func receive() throws -> Bool {
        if position == pending.count || position >= HTTPConnection.readSize {
            pending.removeFirst(position)
            scanned -= position
            position = 0
        }
        while true {
            guard try transfer.wait(for: descriptor, events: Int32(POLLIN)) else { throw transfer.stalled() }
            let received = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                transfer.progress.add(received)
                pending += scratch[0..<received]
                return true
            }
            if received == 0 { return false }
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { throw transfer.failure("receiving the response", code: errno) }
        }
    }

    /// The next line, without its line feed and any carriage return before it. Its bytes (line
    /// feed included) are taken from `budget`; a line that would overdraw it is an error
    /// naming `what` and `limit`, as is a connection that closes before the line ends.
    func line(_ what: String, budget: inout Int, limit: Int) throws -> ArraySlice<UInt8> {
        while true {
            scanned = max(scanned, position)
            if let end = pending[scanned...].firstIndex(of: 10) {
                guard end - position < budget else { break }
                budget -= end + 1 - position
                var line = pending[position..<end]
                position = end + 1
                scanned = position
                if line.last == 13 { line = line.dropLast() }
                return line
            }
            scanned = pending.count
            guard buffered < budget else { break }
            guard try receive() else { throw transfer.closedEarly("in the middle of the \(what)") }
        }
        throw transfer.malformed("more than \(limit) bytes of \(what)")
    }

    private static var streamType: Int32 {
        #if canImport(Glibc)
            Int32(SOCK_STREAM.rawValue)
        #else
            SOCK_STREAM
        #endif
    }

    private static var sendFlags: Int32 {
        #if canImport(Glibc)
            Int32(MSG_NOSIGNAL)
        #else
            0  // SO_NOSIGPIPE is set on the socket
        #endif
    }
}
