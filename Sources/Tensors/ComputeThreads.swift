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

    /// Runs `body(index)` for every index in `0..<count`, on up to `maximum` threads.
    public static func concurrentPerform(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
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
