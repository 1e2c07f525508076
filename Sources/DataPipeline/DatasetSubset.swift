import SystemIO

/// The samples at a list of positions of another dataset (a training or validation split).
public struct DatasetSubset<Base: RandomAccessDataset>: RandomAccessDataset {
    /// The underlying dataset.
    public let base: Base
    /// The positions in `base`, in this subset's order.
    public let indices: [Int]

    /// Creates a subset; indices outside `0..<base.count` are left out.
    public init(base: Base, indices: [Int]) {
        self.base = base
        self.indices = indices.filter { $0 >= 0 && $0 < base.count }
    }

    /// The number of samples in the subset.
    public var count: Int { indices.count }
    /// The base dataset's sample shape.
    public var sampleShape: [Int] { base.sampleShape }
    /// The base dataset's class names.
    public var classNames: [String] { base.classNames }
    /// The base dataset's origin at `indices[index]`.
    public func origin(at index: Int) -> SampleOrigin { base.origin(at: indices[index]) }

    /// The base dataset's check.
    public func validate() throws(DataError) { try base.validate() }

    /// Loads the base's sample at `indices[index]`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        try base.load(indices[index], into: destination, scratch: scratch)
    }
}
