/// A dataset whose samples can be read in any order by index, cheaply listed up front and
/// decoded lazily, one sample per call. Implementations are safe to call from several threads.
public protocol Dataset: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The class names, in class-index order.
    var classNames: [String] { get }
    /// Reads and decodes sample `index` (in `0..<count`). Throws `DataError` for bad input.
    func sample(at index: Int) throws -> Sample
    /// Where sample `index` comes from, without decoding it.
    func origin(at index: Int) -> SampleOrigin
}

/// A source that cannot be indexed cheaply row by row but can be read in chunks, each chunk
/// addressable by its index, so that a pipeline can seek to (chunk, row in chunk) without
/// decoding what came before.
public protocol ChunkedSource: Sendable {
    /// The number of chunks.
    var chunkCount: Int { get }
    /// The class names, in class-index order.
    var classNames: [String] { get }
    /// The number of samples in each chunk.
    func sampleCount(ofChunk index: Int) -> Int
    /// Reads and decodes chunk `index`. Throws `DataError` for bad input.
    func chunk(at index: Int) throws -> [Sample]
}

/// The samples at a list of positions of another dataset (a training or validation split).
public struct DatasetSubset<Base: Dataset>: Dataset {
    /// The underlying dataset.
    public let base: Base
    /// The positions in `base`, in this subset's order.
    public let indices: [Int]

    /// Creates a subset; every index must be in `0..<base.count`.
    public init(base: Base, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "DatasetSubset: index out of range")
        self.base = base
        self.indices = indices
    }

    /// The number of samples in the subset.
    public var count: Int { indices.count }
    /// The base dataset's class names.
    public var classNames: [String] { base.classNames }
    /// The base dataset's sample at `indices[index]`.
    public func sample(at index: Int) throws -> Sample { try base.sample(at: indices[index]) }
    /// The base dataset's origin at `indices[index]`.
    public func origin(at index: Int) -> SampleOrigin { base.origin(at: indices[index]) }
}
