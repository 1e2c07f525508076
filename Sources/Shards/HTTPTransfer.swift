import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The limits of one `PlainHTTPClient` fetch (its redirects included) and the errors it reports:
/// every wait blocks in `poll(2)` for at most the stall timeout, and the whole fetch ends by its
/// deadline or when its cancellation flag is raised.
struct HTTPTransfer {
    /// The file fetched, for messages (`manifest.json`, a shard's name).
    let name: String
    /// Seconds a wait may last without the socket becoming ready.
    let stallTimeout: Double
    /// Seconds the whole fetch may last.
    let limitSeconds: Double
    /// When the fetch must have ended (`DispatchTime` uptime nanoseconds).
    let deadline: UInt64
    /// Raised to abort the fetch.
    let cancellation: TransferCancellation?

    init(name: String, stallTimeout: Double, limitSeconds: Double, cancellation: TransferCancellation?) {
        self.name = name
        self.stallTimeout = stallTimeout
        self.limitSeconds = limitSeconds
        self.cancellation = cancellation
        deadline = HTTPTransfer.now &+ HTTPTransfer.nanoseconds(limitSeconds)
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// `seconds` in nanoseconds, at most about 30 years (no overflow for any timeout given).
    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(min(max(seconds, 0), 1e9) * 1e9) }

    /// Blocks in `poll(2)` until `socket` reports one of `events` (true), or until the stall
    /// timeout passes without one (false). Throws when the fetch is cancelled (the cancellation
    /// pipe is polled with the socket, so a cancel wakes the wait) or passes its deadline.
    func wait(for socket: Int32, events: Int32) throws -> Bool {
        let stallEnds = HTTPTransfer.now &+ HTTPTransfer.nanoseconds(stallTimeout)
        while true {
            if cancellation?.isCancelled ?? false { throw cancelled() }
            let now = HTTPTransfer.now
            if now >= deadline { throw tookTooLong() }
            if now >= stallEnds { return false }
            let milliseconds = Int32(clamping: (min(stallEnds, deadline) - now + 999_999) / 1_000_000)
            // A negative descriptor is ignored by poll(2): no cancellation, or no pipe.
            var descriptors = [
                pollfd(fd: socket, events: Int16(events), revents: 0),
                pollfd(fd: cancellation?.descriptor ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if ready < 0 && errno != EINTR { throw failure("waiting for the connection", code: errno) }
            if ready > 0 && descriptors[1].revents != 0 { throw cancelled() }
            if ready > 0 && descriptors[0].revents != 0 { return true }
        }
    }

    /// No byte arrived for the stall timeout: retried.
    func stalled() -> ShardFetchError {
        ShardFetchError(isTransient: true, reason: "\(name): no data received for \(HTTPShardSource.seconds(stallTimeout)) (stall timeout)")
    }

    /// The whole fetch outlasted its limit (a server trickling bytes): retried.
    func tookTooLong() -> ShardFetchError {
        ShardFetchError(isTransient: true, reason: "\(name): the transfer took longer than \(HTTPShardSource.seconds(limitSeconds))")
    }

    /// The fetch was cancelled (staging stopped): not retried.
    func cancelled() -> ShardFetchError {
        ShardFetchError(isTransient: false, reason: "\(name): the transfer was cancelled (staging stopped)", kind: .unreadable)
    }

    /// A system call failed with `code` (a refused or reset connection): retried.
    func failure(_ doing: String, code: Int32) -> ShardFetchError {
        ShardFetchError(isTransient: true, reason: "\(name): \(doing) failed: \(String(cString: strerror(code)))")
    }

    /// The server broke HTTP/1.1 (a malformed or oversized header, a bad chunk): retried (a
    /// proxy may have garbled it), then reported as corrupt.
    func malformed(_ reason: String) -> ShardFetchError {
        ShardFetchError(isTransient: true, reason: "\(name): malformed HTTP response: \(reason)", kind: .corrupt)
    }

    /// The server closed the connection before sending all of `what`: retried.
    func closedEarly(_ what: String) -> ShardFetchError {
        ShardFetchError(isTransient: true, reason: "\(name): the connection closed \(what)")
    }
}
