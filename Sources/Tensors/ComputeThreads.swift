import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The number of threads the compute kernels (matrix multiply, convolutions) may use.
///
/// It defaults to the number of online processors; set it once at start-up (the command line's
/// `--threads`). Results never depend on it: work is split so that every output element is
/// computed by exactly one thread with the same arithmetic.
public enum ComputeThreads {
    private static let configured = Atomic<Int>(0)

    /// The number of online processors.
    public static var processorCount: Int {
        Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// The current limit (at least 1).
    public static var maximum: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : processorCount
        }
        set { configured.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body(index)` for every index in `0..<count`, all at once (one thread each).
    public static func concurrentPerform(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Runs `body(worker, chunk)` for every chunk in `0..<count` on up to `threads` threads (at
    /// most `count`): the calling thread and the helpers of a pool that wait briefly between
    /// jobs, or, when that pool is taken (a nested or concurrent call), Dispatch's threads.
    /// `worker` (below `min(threads, count)`) names the thread, for per-thread scratch; two
    /// chunks never run at once with the same `worker`. Workers claim the next chunk from a
    /// shared counter, so a thread slowed down by the machine does not hold the others back;
    /// which thread runs a chunk never changes what the chunk computes.
    public static func forEachChunk(_ count: Int, threads: Int, _ body: @Sendable (_ worker: Int, _ chunk: Int) -> Void) {
        let workers = Swift.max(1, Swift.min(threads, count))
        if workers == 1 {
            for chunk in 0..<count { body(0, chunk) }
            return
        }
        if WorkerPool.shared.run(count, threads: workers, body) { return }
        let next = Atomic<Int>(0)
        withUnsafePointer(to: next) { counter in
            let shared = UncheckedSendable(counter)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let chunk = shared.value.pointee.add(1, ordering: .relaxed).oldValue
                    guard chunk < count else { break }
                    body(worker, chunk)
                }
            }
        }
    }
}

/// Wraps a value that is safe to share across threads for reasons the compiler cannot see
/// (disjoint writes into one buffer, say).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}
