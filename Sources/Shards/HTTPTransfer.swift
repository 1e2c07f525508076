import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The limits of one `PlainHTTPClient` fetch (its redirects included) and the errors it reports:
/// every wait blocks in `poll(2)` for at most the stall timeout, and the whole fetch ends when
/// its cancellation flag is raised or when it falls below the minimum rate: a fetch may last
/// twice the stall timeout plus one second per 64 KiB received (`minimumBytesPerSecond`), and at
/// most that for the largest body allowed (`limitSeconds`), so a server that trickles bytes, never
/// stalling for a whole stall timeout, is abandoned all the same.
struct HTTPTransfer {
    /// The rate a transfer must keep up on average once its grace (twice the stall timeout) is
    /// spent: 64 KiB/s.
    static let minimumBytesPerSecond = 65536.0

    /// The file fetched, for messages (`manifest.json`, a shard's name).
    let name: String
    /// Seconds a wait may last without the socket becoming ready.
    let stallTimeout: Double
    /// Seconds the whole fetch may last at most (for the largest body allowed).
    let limitSeconds: Double
    /// When the fetch began (`DispatchTime` uptime nanoseconds).
    let started: UInt64
    /// Raised to abort the fetch.
    let cancellation: TransferCancellation?
    /// Bytes received so far (headers included), which extend the fetch's deadline.
    let progress = TransferProgress()

    /// A fetch of at most `maximumBytes` of body.
    init(name: String, stallTimeout: Double, maximumBytes: Int, cancellation: TransferCancellation?) {
        self.name = name
        self.stallTimeout = stallTimeout
        limitSeconds = HTTPTransfer.allowedSeconds(stallTimeout: stallTimeout, bytes: maximumBytes)
        self.cancellation = cancellation
        started = HTTPTransfer.now
    }

    /// The longest a transfer that has received `bytes` bytes may have lasted: twice the stall
    /// timeout plus one second per 64 KiB.
    static func allowedSeconds(stallTimeout: Double, bytes: Int) -> Double {
        2 * stallTimeout + Double(max(bytes, 0)) / minimumBytesPerSecond
    }

    /// When the fetch must have ended given what it has received so far.
    var deadline: UInt64 {
        let allowed = min(HTTPTransfer.allowedSeconds(stallTimeout: stallTimeout, bytes: progress.bytes), limitSeconds)
        return started &+ HTTPTransfer.nanoseconds(allowed)
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// `seconds` in nanoseconds, at most about 30 years (no overflow for any timeout given).
    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(min(max(seconds, 0), 1e9) * 1e9) }

    /// Blocks in `poll(2)` until `socket` reports one of `events` (true), or until the stall
    /// timeout passes without one (false). Throws when the fetch is cancelled (the cancellation
    /// pipe is polled with the socket, so a cancel wakes the wait) or passes its deadline (the
    /// minimum rate).
    func wait(for socket: Int32, events: Int32) throws -> Bool {
        let stallEnds = HTTPTransfer.now &+ HTTPTransfer.nanoseconds(stallTimeout)
        while true {
            if cancellation?.isCancelled ?? false { throw cancelled() }
            let (now, deadline) = (HTTPTransfer.now, deadline)
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

    /// The fetch fell below the minimum rate (a server trickling bytes): retried.
    func tookTooLong() -> ShardFetchError {
        let seconds = Double(HTTPTransfer.now &- started) / 1e9
        return ShardFetchError(
            isTransient: true,
            reason: "\(name): too slow: \(progress.bytes) bytes in \(HTTPShardSource.seconds(seconds.rounded())) "
                + "(a transfer may last twice the stall timeout, \(HTTPShardSource.seconds(2 * stallTimeout)), "
                + "plus 1 s per 64 KiB received)")
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

/// The bytes a transfer has received, counted by whichever thread receives them.
final class TransferProgress: Sendable {
    private let count = Atomic<Int>(0)

    /// The bytes so far.
    var bytes: Int { count.load(ordering: .relaxed) }

    /// Counts `bytes` more.
    func add(_ bytes: Int) { count.add(bytes, ordering: .relaxed) }
}
