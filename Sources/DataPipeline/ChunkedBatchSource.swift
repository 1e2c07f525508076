import Tensors

/// A chunked source whose chunks load as one features tensor with labels, for pipelines.
public protocol ChunkedBatchSource: ChunkedSource {
    /// The shape of one sample.
    var sampleShape: [Int] { get }
    /// Loads chunk `index`: features `[rows, ...sampleShape]`, labels and row origins.
    func loadChunk(at index: Int) throws -> CSVChunk
    /// The chunks the pipeline will read next, in order (a stager fetches them ahead).
    func willRead(chunks: [Int])
    /// Chunk `index` has been consumed (a stager deletes its file).
    func didConsume(chunk index: Int)
    /// How many chunks can be held at once (a staging budget), or nil for no limit.
    var chunkCapacity: Int? { get }
}

extension ChunkedBatchSource {
    /// Nothing to prepare by default.
    public func willRead(chunks: [Int]) {}
    /// Nothing to release by default.
    public func didConsume(chunk index: Int) {}
    /// No limit by default.
    public var chunkCapacity: Int? { nil }
}

extension ShardedDataset {
    /// Asks the stager to fetch these shards next.
    public func willRead(chunks: [Int]) { stager.schedule(chunks) }
    /// Deletes the shard's file.
    public func didConsume(chunk index: Int) { stager.release(index) }
    /// The number of the largest shards the disk budget holds.
    public var chunkCapacity: Int? { stager.budgetBytes / max(1, manifest.largestShardBytes) }
}

extension CSVDataset: ChunkedBatchSource {
    /// `[features]`.
    public var sampleShape: [Int] { [featureNames.count] }
    /// The parsed chunk.
    public func loadChunk(at index: Int) throws -> CSVChunk { try csvChunk(at: index) }
}

/// Resolves stream positions to samples and writes them into batch slots.
protocol SampleLoader: AnyObject, Sendable {
    var count: Int { get }
    var sampleShape: [Int] { get }
    var classCount: Int { get }
    var isChunked: Bool { get }
    /// The sample keys (dataset index, or chunk << 32 | row) at the given epoch-order positions.
    func keys(epoch: Int, orderPositions: [Int]) -> [Int]
    /// Makes the samples of `keys` loadable (reads chunks); called on the producer thread.
    func prepare(_ keys: [Int], threads: Int) throws
    /// Whether `load` can apply a normalization as part of decoding.
    var acceptsNormalization: Bool { get }
    /// Writes sample `key` (normalized, if asked) into `destination` and returns its label;
    /// called from decode threads.
    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch,
              normalization: (mean: [Float], standardDeviation: [Float])?) throws -> Int
    /// Where sample `key` comes from.
    func origin(of key: Int) -> String
}

final class RandomAccessLoader<Source: BatchSource>: SampleLoader, @unchecked Sendable {
    let source: Source
    let seed: UInt64
    let shuffle: Bool
    private var order: (epoch: Int, order: ShuffleOrder)?

    init(source: Source, seed: UInt64, shuffle: Bool) {
        self.source = source
        self.seed = seed
        self.shuffle = shuffle
    }

    var count: Int { source.count }
    var sampleShape: [Int] { source.sampleShape }
    var classCount: Int { source.classNames.count }
    var isChunked: Bool { false }

    func keys(epoch: Int, orderPositions: [Int]) -> [Int] {
        if order?.epoch != epoch {
            order = (epoch, ShuffleOrder(count: source.count, seed: seed, stream: [UInt64(epoch)], shuffled: shuffle))
        }
        let order = order!.order
        return orderPositions.map(order.index(at:))
    }

    func prepare(_ keys: [Int], threads: Int) throws {}

    var acceptsNormalization: Bool { source is ImageFolder || source is DatasetSubset<ImageFolder> }

    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch,
              normalization: (mean: [Float], standardDeviation: [Float])?) throws -> Int {
        if let normalization {
            if let folder = source as? ImageFolder {
                return try folder.load(key, into: destination, scratch: scratch, normalization: normalization)
            }
            if let subset = source as? DatasetSubset<ImageFolder> {
                return try subset.base.load(subset.indices[key], into: destination, scratch: scratch, normalization: normalization)
            }
        }
        return try source.load(key, into: destination, scratch: scratch)
    }

    func origin(of key: Int) -> String { source.origin(at: key).description }
}

final class WindowedChunkLoader<Source: ChunkedBatchSource>: SampleLoader, @unchecked Sendable {
    let source: Source
    let seed: UInt64
    let shuffle: Bool
    let windowChunks: Int
    let chunkCounts: [Int]
    let epochs: Int?
    private var plan: (epoch: Int, plan: WindowPlan)?
    private var resident: [Int: CSVChunk] = [:]

    init(source: Source, seed: UInt64, shuffle: Bool, windowChunks: Int, epochs: Int?) {
        self.epochs = epochs
        self.source = source
        self.seed = seed
        self.shuffle = shuffle
        self.windowChunks = max(windowChunks, 1)
        chunkCounts = (0..<source.chunkCount).map(source.sampleCount(ofChunk:))
    }

    var count: Int { chunkCounts.reduce(0, +) }
    var sampleShape: [Int] { source.sampleShape }
    var classCount: Int { source.classNames.count }
    var isChunked: Bool { true }
    /// The number of chunks held in memory now.
    var residentChunks: Int { resident.count }

    func keys(epoch: Int, orderPositions: [Int]) -> [Int] {
        if plan?.epoch != epoch {
            let current = WindowPlan(chunkCounts: chunkCounts, windowChunks: windowChunks, seed: seed, epoch: epoch, shuffle: shuffle)
            plan = (epoch, current)
            // Tell the source what comes next: the rest of this epoch from the first window needed
            // (chunks already consumed before a resume are not asked for again), then the next epoch.
            let hasNext = epochs.map { epoch + 1 < $0 } ?? true
            let following = hasNext ? WindowPlan(chunkCounts: chunkCounts, windowChunks: windowChunks, seed: seed, epoch: epoch + 1, shuffle: shuffle) : nil
            let start = orderPositions.first ?? 0
            let first = current.windowIndex(of: start)
            // In the window being resumed, only chunks with rows at or after the position remain.
            let window = current.windows[first]
            var remaining = Set<Int>()
            for position in start..<(window.start + window.count) { remaining.insert(current.address(of: position).chunk) }
            let order = window.chunks.filter(remaining.contains) + current.windows[(first + 1)...].flatMap(\.chunks)
            source.willRead(chunks: order + (following?.windows.flatMap(\.chunks) ?? []))
        }
        let plan = plan!.plan
        return orderPositions.map { position in
            let address = plan.address(of: position)
            return address.chunk << 32 | address.row
        }
    }

    /// Loads the chunks `keys` need (in parallel) and releases those no longer needed: the
    /// resident set is the windows the batch touches.
    func prepare(_ keys: [Int], threads: Int) throws {
        let needed = Set(keys.map { $0 >> 32 })
        var windowChunks = needed
        if let plan = plan?.plan {
            for window in Set(needed.map { plan.windowOfChunk[$0] }) { windowChunks.formUnion(plan.windows[window].chunks) }
        }
        for chunk in resident.keys where !windowChunks.contains(chunk) { source.didConsume(chunk: chunk) }
        resident = resident.filter { windowChunks.contains($0.key) }
        let missing = needed.subtracting(resident.keys).sorted()
        guard !missing.isEmpty else { return }
        let results = UncheckedSendable(UnsafeMutablePointer<Result<CSVChunk, Error>?>.allocate(capacity: missing.count))
        results.value.initialize(repeating: nil, count: missing.count)
        defer {
            results.value.deinitialize(count: missing.count)
            results.value.deallocate()
        }
        let source = self.source
        ComputeThreads.concurrentPerform(min(threads, missing.count)) { worker in
            var slot = worker
            while slot < missing.count {
                results.value[slot] = Result { try source.loadChunk(at: missing[slot]) }
                slot += max(threads, 1)
            }
        }
        for (slot, chunk) in missing.enumerated() {
            resident[chunk] = try results.value[slot]!.get()
        }
    }

    var acceptsNormalization: Bool { false }

    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch,
              normalization: (mean: [Float], standardDeviation: [Float])?) throws -> Int {
        let chunkIndex = key >> 32, row = key & 0xFFFF_FFFF
        guard let chunk = resident[chunkIndex], row < chunk.count else {
            throw DataError(.truncated, path: "chunk \(chunkIndex)",
                            reason: "chunk \(chunkIndex) has fewer rows than its index says", fix: "the data changed since it was indexed: open it again")
        }
        let width = destination.count
        chunk.features.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0[(row * width)..<((row + 1) * width)]) }
        return chunk.labels[row]
    }

    func origin(of key: Int) -> String {
        guard let chunk = resident[key >> 32] else { return "chunk \(key >> 32) row \(key & 0xFFFF_FFFF)" }
        return SampleOrigin.line(path: chunk.path, line: chunk.lines[key & 0xFFFF_FFFF]).description
    }
}
