import SystemIO
import Tensors

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
    /// The number of chunks (nil for random-access data), for the shuffle guardrail.
    var chunkTotal: Int? { get }
    /// Writes sample `key` into `destination` and returns its label; called from decode threads.
    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int
    /// Where sample `key` comes from.
    func origin(of key: Int) -> String
    /// A hint that sample `key` is loaded next on the calling decode thread.
    func prefetch(_ key: Int)
}

extension SampleLoader {
    /// Nothing to fetch ahead.
    func prefetch(_ key: Int) {}
}

final class RandomAccessLoader: SampleLoader, @unchecked Sendable {
    let source: any RandomAccessDataset
    let sampler: any Sampler

    init(source: any RandomAccessDataset, sampler: any Sampler) {
        self.source = source
        self.sampler = sampler
    }

    var count: Int { sampler.count }
    var sampleShape: [Int] { source.sampleShape }
    var classCount: Int { source.classNames.count }
    var isChunked: Bool { false }
    var chunkTotal: Int? { nil }

    func keys(epoch: Int, orderPositions: [Int]) -> [Int] {
        sampler.indices(at: orderPositions, epoch: epoch)
    }

    func prepare(_ keys: [Int], threads: Int) throws {}

    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        try source.load(key, into: destination, scratch: scratch)
    }

    func origin(of key: Int) -> String { source.origin(at: key).description }

    func prefetch(_ key: Int) { source.prefetch(key) }
}

final class WindowedChunkLoader: SampleLoader, @unchecked Sendable {
    let source: any ChunkedDataset
    let epochs: Int?
    /// Whether chunks are read in file order, one at a time (gzip).
    let sequential: Bool
    /// The order.
    let sampler: WindowedChunkSampler
    private var plan: (epoch: Int, plan: WindowPlan)?
    private var resident: [Int: SampleChunk] = [:]

    init(source: any ChunkedDataset, seed: UInt64, shuffle: Bool, windowChunks: Int, epochs: Int?) {
        self.epochs = epochs
        self.source = source
        sequential = source.prefersSequentialChunks
        sampler = WindowedChunkSampler(
            chunkCounts: (0..<source.chunkCount).map(source.sampleCount(ofChunk:)), windowChunks: windowChunks, seed: seed,
            shuffle: shuffle, sequentialChunks: sequential)
    }

    var count: Int { sampler.count }
    var sampleShape: [Int] { source.sampleShape }
    var classCount: Int { source.classNames.count }
    var isChunked: Bool { true }
    var chunkTotal: Int? { sampler.chunkCounts.count }
    /// The number of chunks held in memory now.
    var residentChunks: Int { resident.count }

    func keys(epoch: Int, orderPositions: [Int]) -> [Int] {
        if plan?.epoch != epoch {
            let current = sampler.plan(epoch: epoch)
            plan = (epoch, current)
            // Tell the source what comes next: the rest of this epoch from the first window needed
            // (chunks already consumed before a resume are not asked for again), then the next epoch.
            let hasNext = epochs.map { epoch + 1 < $0 } ?? true
            let following =
                hasNext
                ? sampler.plan(epoch: epoch + 1) : nil
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
        let results = UncheckedSendable(UnsafeMutablePointer<Result<SampleChunk, Error>?>.allocate(capacity: missing.count))
        results.value.initialize(repeating: nil, count: missing.count)
        defer {
            results.value.deinitialize(count: missing.count)
            results.value.deallocate()
        }
        let source = self.source
        let threads = sequential ? 1 : threads
        ComputeThreads.concurrentPerform(min(threads, missing.count)) { worker in
            var slot = worker
            while slot < missing.count {
                results.value[slot] = Result { try source.loadChunk(at: missing[slot]) }
                slot += max(threads, 1)
            }
        }
        for (slot, chunk) in missing.enumerated() {
            guard let result = results.value[slot] else {
                throw DataError(.unreadable, path: "chunk \(chunk)", reason: "the chunk was not read", fix: "report this as a bug")
            }
            resident[chunk] = try result.get()
        }
    }

    func load(_ key: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        let chunkIndex = key >> 32
        let row = key & 0xFFFF_FFFF
        guard let chunk = resident[chunkIndex], row < chunk.count else {
            throw DataError(
                .truncated, path: "chunk \(chunkIndex)",
                reason: "chunk \(chunkIndex) has fewer rows than its index says", fix: "the data changed since it was indexed: open it again")
        }
        let width = destination.count
        chunk.features.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0[(row * width)..<((row + 1) * width)]) }
        return chunk.labels[row]
    }

    func origin(of key: Int) -> String {
        guard let chunk = resident[key >> 32] else { return "chunk \(key >> 32) row \(key & 0xFFFF_FFFF)" }
        return chunk.origin(ofRow: key & 0xFFFF_FFFF).description
    }
}
