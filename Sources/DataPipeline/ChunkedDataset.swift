/// A dataset that cannot be indexed cheaply row by row but can be read in chunks (byte ranges
/// of a CSV file, packed shards), each chunk addressable by its number, so that a pipeline can
/// seek to (chunk, row in chunk) without reading what came before. Only the chunks of the
/// current shuffle window are held in memory.
public protocol ChunkedDataset: Sendable {
    /// The number of chunks.
    var chunkCount: Int { get }
    /// The shape of one sample's features.
    var sampleShape: [Int] { get }
    /// The class names, in class-index order.
    var classNames: [String] { get }
    /// The number of samples in chunk `index`, known without reading it.
    func sampleCount(ofChunk index: Int) -> Int
    /// Reads and decodes chunk `index`. Throws `DataError` for bad input.
    func loadChunk(at index: Int) throws -> SampleChunk
    /// Reads chunk `index` keeping only the rows `keep` accepts (by row number in the chunk); a
    /// format may skip decoding the others.
    func loadChunk(at index: Int, keepingRows keep: @escaping @Sendable (Int) -> Bool) throws -> SampleChunk
    /// The chunks the pipeline will read next, in order (a stager fetches them ahead).
    func willRead(chunks: [Int])
    /// Chunk `index` has been consumed (a stager deletes its file).
    func didConsume(chunk index: Int)
    /// How many chunks can be held at once (a staging budget), or nil for no limit.
    var chunkCapacity: Int? { get }
    /// Whether chunks are cheap only in file order (a gzip stream has no random access): the
    /// pipeline then reads the chunks of each epoch in file order, one at a time, and shuffles
    /// the samples within each window only.
    var prefersSequentialChunks: Bool { get }
}

extension ChunkedDataset {
    /// Reads the whole chunk, then keeps the accepted rows.
    public func loadChunk(at index: Int, keepingRows keep: @escaping @Sendable (Int) -> Bool) throws -> SampleChunk {
        let chunk = try loadChunk(at: index)
        return chunk.selecting(rows: (0..<chunk.count).filter(keep))
    }

    /// Nothing to prepare by default.
    public func willRead(chunks: [Int]) {}
    /// Nothing to release by default.
    public func didConsume(chunk index: Int) {}
    /// No limit by default.
    public var chunkCapacity: Int? { nil }
    /// Random access to chunks by default.
    public var prefersSequentialChunks: Bool { false }
    /// The total number of samples.
    public var count: Int { (0..<chunkCount).reduce(0) { $0 + sampleCount(ofChunk: $1) } }
}
