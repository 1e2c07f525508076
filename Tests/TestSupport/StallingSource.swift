import DataPipeline
import Dispatch
import Synchronization
import SystemIO

/// A source whose loads from `stallFrom` on block until `release()`: a stalled server, a slow
/// disk, a FIFO whose writer went quiet. Sample `i` has features `[i % 5, i % 5 - 1, i % 5 - 2]`
/// and label `i % 2`; the source records every index whose load began.
public final class StallingSource: RandomAccessDataset, @unchecked Sendable {
    /// The number of samples.
    public let count: Int
    /// The first index whose load blocks.
    public let stallFrom: Int
    private let gate = DispatchSemaphore(value: 0)
    private let stalled = Atomic<Int>(0)
    private let loads = Mutex<[Int]>([])

    /// Creates a source of `count` samples whose loads block from index `stallFrom` on.
    public init(count: Int, stallFrom: Int) {
        self.count = count
        self.stallFrom = stallFrom
    }

    /// `[3]`.
    public var sampleShape: [Int] { [3] }
    /// `a`, `b`.
    public var classNames: [String] { ["a", "b"] }
    /// `stalling:index`.
    public func origin(at index: Int) -> SampleOrigin { .line(path: "stalling", line: index) }
    /// Loads blocked right now.
    public var stalledLoads: Int { stalled.load(ordering: .relaxed) }
    /// Every index whose load began, in order.
    public var loadedIndices: [Int] { loads.withLock { $0 } }

    /// Writes sample `index`, first waiting for `release()` from `stallFrom` on.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        loads.withLock { $0.append(index) }
        if index >= stallFrom {
            stalled.add(1, ordering: .relaxed)
            gate.wait()
            stalled.subtract(1, ordering: .relaxed)
        }
        for k in 0..<destination.count { destination[k] = Float(index % 5) - Float(k) }
        return index % 2
    }

    /// Lets every blocked (and later) load go on, up to 64.
    public func release() { for _ in 0..<64 { gate.signal() } }
}
