import DataPipeline
import Synchronization
import SystemIO
import Tensors

/// A source for pipeline tests: sample `i` has features `[i, i + 0.5, ...]` (so its identity is
/// visible in a batch) and label `i % classes`; it records every index it loads, can fail on
/// chosen indices.
public final class CountingSource: RandomAccessDataset, @unchecked Sendable {
    /// The number of samples.
    public let count: Int
    /// Features per sample.
    public let width: Int
    /// Classes.
    public let classes: Int
    /// Indices whose load throws a `DataError`.
    public let failing: Set<Int>
    private let loads = Mutex<[Int]>([])

    /// Creates a source.
    public init(count: Int, width: Int = 3, classes: Int = 4, failing: Set<Int> = []) {
        self.count = count
        self.width = width
        self.classes = classes
        self.failing = failing
    }

    /// `[width]`.
    public var sampleShape: [Int] { [width] }
    /// `c0`, `c1`, ...
    public var classNames: [String] { (0..<classes).map { "c\($0)" } }
    /// `counting:index`.
    public func origin(at index: Int) -> SampleOrigin { .line(path: "counting", line: index) }

    /// Every index loaded so far, in completion order.
    public var loadedIndices: [Int] { loads.withLock { $0 } }

    /// Forgets the recorded loads.
    public func resetLoads() { loads.withLock { $0.removeAll() } }

    /// Writes `[index, index + 0.5, ...]`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        loads.withLock { $0.append(index) }
        if failing.contains(index) {
            throw DataError(.corrupt, path: "counting", line: index, reason: "sample \(index) is broken on purpose", fix: "none")
        }
        for k in 0..<destination.count { destination[k] = Float(index) + Float(k) * 0.5 }
        return index % classes
    }
}
