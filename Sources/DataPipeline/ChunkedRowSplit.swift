/// The rows of a chunked dataset on one side of a seeded split: a row belongs to the held-out
/// side when `RowSplit.isHeldOut` of its global row number (its position in file order) is true.
/// The split is decided from row numbers alone, so the counts of every chunk are known without
/// reading it, and training, validation and evaluation agree on it.
public struct ChunkedRowSplit<Base: ChunkedDataset>: ChunkedDataset {
    /// The underlying dataset.
    public let base: Base
    /// The split.
    public let split: RowSplit
    /// Whether this is the held-out side (validation) or the rest (training).
    public let isHeldOutSide: Bool
    private let firstRows: [Int]
    private let counts: [Int]

    /// One side of `split` over `base`.
    public init(base: Base, split: RowSplit, heldOut: Bool) {
        self.base = base
        self.split = split
        isHeldOutSide = heldOut
        var firstRows: [Int] = []
        var counts: [Int] = []
        var row = 0
        for chunk in 0..<base.chunkCount {
            let rows = base.sampleCount(ofChunk: chunk)
            firstRows.append(row)
            counts.append((row..<(row + rows)).reduce(0) { $0 + (split.isHeldOut(row: $1) == heldOut ? 1 : 0) })
            row += rows
        }
        self.firstRows = firstRows
        self.counts = counts
    }

    /// The base's chunk count (a chunk may hold no row of this side).
    public var chunkCount: Int { base.chunkCount }
    /// The base's sample shape.
    public var sampleShape: [Int] { base.sampleShape }
    /// The base's class names.
    public var classNames: [String] { base.classNames }
    /// The rows of chunk `index` on this side.
    public func sampleCount(ofChunk index: Int) -> Int { counts[index] }

    /// Reads the base's chunk and keeps this side's rows, in order.
    public func loadChunk(at index: Int) throws -> SampleChunk {
        let (split, first, side) = (split, firstRows[index], isHeldOutSide)
        return try base.loadChunk(at: index, keepingRows: { split.isHeldOut(row: first + $0) == side })
    }

    /// Passes the read-ahead on to the base.
    public func willRead(chunks: [Int]) { base.willRead(chunks: chunks) }
    /// Passes the release on to the base.
    public func didConsume(chunk index: Int) { base.didConsume(chunk: index) }
    /// The base's capacity.
    public var chunkCapacity: Int? { base.chunkCapacity }
    /// The base's preference.
    public var prefersSequentialChunks: Bool { base.prefersSequentialChunks }
}

/// A seeded split of rows by a hash of (seed, row number): each row is held out with
/// probability `fraction`, independently, so the held-out count is close to `fraction` of the
/// rows rather than exact.
public struct RowSplit: Sendable, Equatable, Codable {
    /// The fraction held out, in [0, 1).
    public var fraction: Double
    /// The seed.
    public var seed: UInt64

    /// Creates a split.
    public init(fraction: Double, seed: UInt64) {
        self.fraction = fraction
        self.seed = seed
    }

    /// Whether row `row` (0-based, in file order) is held out.
    public func isHeldOut(row: Int) -> Bool {
        let hash = ShuffleOrder.mix(seed ^ 0x5B11_7C5F ^ ShuffleOrder.mix(UInt64(row)))
        return Double(hash >> 11) * 0x1p-53 < fraction
    }
}
