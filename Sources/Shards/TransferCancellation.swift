import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A flag that aborts the transfers given it: `ShardStager.stop()` cancels the download in
/// progress instead of waiting for it. An HTTP transfer waits in `poll(2)` on its socket and on
/// this flag's pipe together, so a cancel wakes it at once, without any polling loop. Once
/// cancelled it stays cancelled: every later transfer given it fails at once.
public final class TransferCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)
    /// The pipe's read end: readable once cancelled (-1 when no pipe could be made; a cancel is
    /// then noticed at the next stall-timeout wake-up).
    let descriptor: Int32
    private let writeDescriptor: Int32

    /// A flag that is not cancelled.
    public init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        }
        descriptor = ends[0]
        writeDescriptor = ends[1]
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if writeDescriptor >= 0 { close(writeDescriptor) }
    }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Aborts the transfers waiting on this flag and every later one (calling it again does nothing).
    public func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing), writeDescriptor >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }
}
