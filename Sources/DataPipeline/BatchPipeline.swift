import Dispatch
import Foundation
import Synchronization
import SystemIO
import Tensors

/// A pipeline failure that is not a data error.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// No batch arrived within the configured wait.
    case timedOut(seconds: Double)
    /// A saved state does not fit this pipeline.
    case incompatibleState(String)

    /// A one-line explanation with the fix.
    public var description: String {
        switch self {
        case .timedOut(let seconds):
            return "no batch arrived within \(seconds) s: the data source may be stalled; raise waitTimeout or check the source"
        case .incompatibleState(let reason):
            return "cannot resume: \(reason); resume with the dataset and sharding the state was saved with"
        }
    }
}

/// Turns a dataset into a stream of batches: sampler -> decode/transform (parallel) -> collate
/// -> prefetch, on a producer thread that stays up to `prefetchDepth` batches ahead.
///
/// The stream is a pure function of the configuration's seed: the order of every epoch, the
/// windows of a chunked source and every random augmentation derive from (seed, epoch, sample),
/// so batches are bit-identical for any thread count or prefetch depth. `state` (or a batch's
/// `stateAfter`) is a few hundred bytes; a pipeline created with it continues with exactly the
/// batches that would have followed, without decoding anything skipped.
public final class BatchPipeline {
    /// The configuration.
    public let configuration: PipelineConfiguration
    /// The per-sample transforms, in order.
    public let transforms: [SampleTransform]
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Samples per epoch in the dataset.
    public let datasetCount: Int
    /// Batches per epoch for this rank.
    public let batchesPerEpoch: Int
    /// Bad samples skipped under the `.skip` policy.
    public let quarantine: Quarantine
    /// The state after the last batch returned by `next()`.
    public private(set) var state: PipelineState
    /// Warnings about the stream (such as a shuffle window too small for class-sorted data).
    public private(set) var warnings: [String] = []
    /// Called with each warning as it is raised (on the consumer's thread).
    public var onWarning: ((String) -> Void)?

    private let context: ProducerContext
    private var consumerStart: UInt64?
    private var isDone = false
    private var labelMix: [Int] = []

    /// The number of producer threads running in this process (for tests and diagnostics).
    public static var runningProducers: Int { ProducerContext.running.load(ordering: .relaxed) }

    /// A pipeline over `source`, starting at the beginning or at `state`. A random-access source
    /// is read in the order of `sampler` (default: shuffled by the configuration's seed, or
    /// sequential without shuffling); a chunked source in a seeded chunk order, shuffled inside
    /// windows of `windowChunks` resident chunks.
    public convenience init(
        source: DataSource, sampler: (any Sampler)? = nil, configuration: PipelineConfiguration,
        transforms: [SampleTransform] = [], resumingFrom state: PipelineState? = nil
    ) throws {
        let seed = state?.seed ?? configuration.seed
        switch source {
        case .randomAccess(let dataset):
            let order: any Sampler =
                sampler
                ?? (configuration.shuffle ? ShuffledSampler(count: dataset.count, seed: seed) : SequentialSampler(count: dataset.count))
            try self.init(
                loader: RandomAccessLoader(source: dataset, sampler: order), configuration: configuration,
                transforms: transforms, state: state)
        case .chunked(let dataset):
            if let capacity = dataset.chunkCapacity, capacity < 2 * configuration.windowChunks + 1 {
                throw DataError(
                    .invalidOption, path: "pipeline",
                    reason:
                        "the staging budget holds \(capacity) shards, but a shuffle window of \(configuration.windowChunks) needs \(2 * configuration.windowChunks + 1) (two windows and one ahead)",
                    fix: "raise the cache budget or lower window_chunks to \(max(1, (capacity - 1) / 2))")
            }
            let loader = WindowedChunkLoader(
                source: dataset, seed: seed, shuffle: configuration.shuffle,
                windowChunks: configuration.windowChunks, epochs: configuration.epochs)
            try self.init(loader: loader, configuration: configuration, transforms: transforms, state: state)
        }
    }

    /// A pipeline over a random-access dataset (see `init(source:sampler:configuration:transforms:resumingFrom:)`).
    public convenience init(
        dataset: some RandomAccessDataset, sampler: (any Sampler)? = nil, configuration: PipelineConfiguration,
        transforms: [SampleTransform] = [], resumingFrom state: PipelineState? = nil
    ) throws {
        try self.init(
            source: .randomAccess(dataset), sampler: sampler, configuration: configuration, transforms: transforms,
            resumingFrom: state)
    }

    /// A pipeline over a chunked dataset (see `init(source:sampler:configuration:transforms:resumingFrom:)`).
    public convenience init(
        chunked dataset: some ChunkedDataset, configuration: PipelineConfiguration, transforms: [SampleTransform] = [],
        resumingFrom state: PipelineState? = nil
    ) throws {
        try self.init(source: .chunked(dataset), configuration: configuration, transforms: transforms, resumingFrom: state)
    }

    private init(loader: any SampleLoader, configuration: PipelineConfiguration, transforms: [SampleTransform], state: PipelineState?) throws {
        guard configuration.batchSize > 0, configuration.threads > 0, configuration.prefetchDepth > 0,
            configuration.worldSize > 0, (0..<configuration.worldSize).contains(configuration.rank),
            configuration.slicing.map({ $0.chunkSize > 0 && $0.rankCount > 0 && (0..<$0.rankCount).contains($0.rank) }) ?? true
        else {
            throw DataError(
                .invalidOption, path: "pipeline",
                reason: "batch size, threads, prefetch depth, world size and chunk size must be positive, and 0 <= rank < world size",
                fix: "correct the pipeline configuration")
        }
        let start =
            state
            ?? PipelineState(
                seed: configuration.seed, datasetCount: loader.count, batchSize: configuration.batchSize,
                rank: configuration.rank, worldSize: configuration.worldSize)
        if let state {
            guard state.datasetCount == loader.count else {
                throw PipelineError.incompatibleState("the state was saved with \(state.datasetCount) samples, the dataset has \(loader.count)")
            }
            guard state.rank == configuration.rank && state.worldSize == configuration.worldSize else {
                throw PipelineError.incompatibleState(
                    "the state is for rank \(state.rank) of \(state.worldSize), not \(configuration.rank) of \(configuration.worldSize)")
            }
        }
        self.configuration = configuration
        self.transforms = transforms
        sampleShape = loader.sampleShape
        datasetCount = loader.count
        quarantine = Quarantine(policy: configuration.badInput, expectedTotal: loader.count)
        let plan = EpochPlan(
            count: loader.count, batchSize: configuration.batchSize, rank: configuration.rank, worldSize: configuration.worldSize,
            shardRemainder: configuration.shardRemainder, batchRemainder: configuration.batchRemainder)
        // Dropping the remainder of a set smaller than one batch leaves no batch at all: every
        // epoch would end without a step, silently.
        guard plan.batchesPerEpoch > 0 || loader.count == 0 else {
            throw DataError(
                .invalidOption, path: "pipeline",
                reason: "a batch of \(configuration.batchSize) with the remainder dropped leaves no batch of the \(loader.count) samples"
                    + (configuration.worldSize > 1 ? " (\(plan.perRank) per rank)" : ""),
                fix: "use a batch size of at most \(max(1, plan.perRank)), or keep the remainder")
        }
        batchesPerEpoch = plan.batchesPerEpoch
        var normalized = start
        normalized.batchSize = configuration.batchSize
        self.state = normalized
        context = ProducerContext(
            loader: loader, plan: plan, configuration: configuration, transforms: transforms,
            seed: start.seed, quarantine: quarantine)
        context.start(from: normalized)
    }

    deinit {
        context.cancel()
    }

    /// Stops the producer; `next()` then returns nil.
    public func cancel() {
        context.cancel()
        isDone = true
    }

    /// Wakes a `next()` that waits for a batch (a stop request while the source stalls): it, and
    /// every later call that finds no batch ready, returns nil with `wasInterrupted` set. Batches
    /// already prefetched are still handed out. Safe from any thread (a signal handler's queue).
    public func interruptWait() {
        context.buffer.interrupt()
    }

    /// Whether `next()` returned nil because `interruptWait()` woke it (not at the end of the data).
    public private(set) var wasInterrupted = false

    /// What each stage has done so far.
    public var statistics: PipelineStatistics { context.statistics.withLock { $0 } }

    /// Hands a consumed batch back so that its feature storage can hold a later batch, sparing
    /// the allocation and page faults of a fresh buffer (large for big images). Always safe: if
    /// anything still shares the storage, copy-on-write gives the producer a fresh copy instead.
    public func recycle(_ batch: consuming Batch) {
        context.recycle(batch.features)
    }

    /// The next batch, or nil at the end of the last epoch. Throws a sample's error at the batch
    /// that holds it (under `.fail`), `tooManyBadSamples`, or `PipelineError.timedOut`.
    public func next() throws -> Batch? {
        guard !isDone else { return nil }
        let began = DispatchTime.now().uptimeNanoseconds
        if consumerStart == nil { consumerStart = began }
        let depth = context.buffer.depth
        let taken = context.buffer.take(timeout: configuration.waitTimeout)
        let ended = DispatchTime.now().uptimeNanoseconds
        let consumerStart = self.consumerStart ?? began
        context.statistics.withLock { statistics in
            statistics.consumerWaitSeconds += Double(ended - began) / 1e9
            statistics.consumerSeconds = Double(ended - consumerStart) / 1e9
            if case .item = taken {
                statistics.batchesConsumed += 1
                statistics.depthTotal += depth
            }
        }
        switch taken {
        case .item(.success(let batch)):
            state = batch.stateAfter
            observeLabels(batch)
            return batch
        case .item(.failure(let error)):
            isDone = true
            throw error
        case .finished, .cancelled:
            isDone = true
            return nil
        case .interrupted:
            isDone = true
            wasInterrupted = true
            return nil
        case .timedOut:
            throw PipelineError.timedOut(seconds: configuration.waitTimeout ?? 0)
        }
    }

    /// Warns when the label mix of the first batches shows a class-sorted stream that the
    /// shuffle does not mix.
    private func observeLabels(_ batch: Batch) {
        let classes = context.loader.classCount
        guard labelMix.count < 8, classes > 1, batch.count > 1 else { return }
        labelMix.append(Set(batch.labels).count)
        guard labelMix.count == 8 else { return }
        let observed = Double(labelMix.reduce(0, +)) / 8
        let size = Double(batch.count)
        let c = Double(classes)
        let expected = c * (1 - pow(1 - 1 / c, size))  // distinct labels in a uniformly shuffled batch
        guard observed < 0.5 * expected else { return }
        let advice: String
        if !configuration.shuffle {
            advice = "shuffling is off: turn it on"
        } else if context.loader.isChunked {
            let perChunk = Double(datasetCount) / Double(max(1, context.loader.chunkTotal ?? 1))
            let needed = Int((Double(datasetCount) / perChunk / 2).rounded(.up))
            advice =
                "the shuffle window of \(configuration.windowChunks) chunks (about \(Int(perChunk) * configuration.windowChunks) samples) is too small for class-sorted data: raise windowChunks (to about \(max(needed, configuration.windowChunks * 4)) chunks) or shuffle the file once (millrace pack)"
        } else {
            advice = "check the labels"
        }
        let warning = String(
            format: "the first 8 batches hold on average %.1f distinct labels of %d (a full shuffle gives about %.1f): %@",
            observed, classes, expected, advice)
        warnings.append(warning)
        onWarning?(warning)
    }
}

/// The producer side: runs on its own thread and fills the prefetch buffer.
final class ProducerContext: @unchecked Sendable {
    static let running = Atomic<Int>(0)

    let loader: any SampleLoader
    let plan: EpochPlan
    let configuration: PipelineConfiguration
    let transforms: [SampleTransform]
    let seed: UInt64
    let quarantine: Quarantine
    let buffer: PrefetchBuffer<Result<Batch, Error>>
    let statistics = Mutex(PipelineStatistics())
    private let cancelled = Atomic<Bool>(false)
    private let workers: [WorkerScratch]
    private let recycled = Mutex<[Tensor]>([])

    init(
        loader: any SampleLoader, plan: EpochPlan, configuration: PipelineConfiguration, transforms: [SampleTransform], seed: UInt64,
        quarantine: Quarantine
    ) {
        self.loader = loader
        self.plan = plan
        self.configuration = configuration
        self.transforms = transforms
        self.seed = seed
        self.quarantine = quarantine
        buffer = PrefetchBuffer(capacity: configuration.prefetchDepth)
        workers = (0..<configuration.threads).map { _ in WorkerScratch() }
    }

    func recycle(_ tensor: Tensor) {
        recycled.withLock { pool in
            if pool.count < configuration.prefetchDepth + 2 { pool.append(tensor) }
        }
    }

    /// A tensor of `shape` whose storage may be a recycled batch's (contents undefined: every
    /// element is written before use).
    private func batchTensor(_ shape: [Int]) -> Tensor {
        let count = Tensor.elementCount(of: shape)
        let reused = recycled.withLock { pool -> Tensor? in
            guard let index = pool.firstIndex(where: { $0.count == count }) else { return nil }
            return pool.remove(at: index)
        }
        return reused?.reshaped(to: shape) ?? Tensor(shape: shape, unsafeUninitialized: { _ in })
    }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        buffer.cancel()
    }

    func start(from state: PipelineState) {
        ProducerContext.running.add(1, ordering: .relaxed)
        let thread = Thread { [self] in
            let began = DispatchTime.now().uptimeNanoseconds
            run(from: state)
            statistics.withLock { $0.producerSeconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
            ProducerContext.running.subtract(1, ordering: .relaxed)
        }
        thread.name = "millrace.pipeline.producer"
        thread.start()
    }

    private func run(from state: PipelineState) {
        var epoch = state.epoch
        var position = state.position
        var recorded = Set<Int>()
        let used = plan.usedPerEpoch
        while !cancelled.load(ordering: .relaxed) {
            if let epochs = configuration.epochs, epoch >= epochs { break }
            guard used > 0 else { break }
            if position >= used {
                epoch += 1
                position = 0
                continue
            }
            let globalCount = min(configuration.batchSize, used - position)
            // Under data parallelism this rank reads only its chunks of the global batch.
            let slice = configuration.slicing.map { $0.plan(count: globalCount).samples(ofRank: $0.rank) } ?? 0..<globalCount
            let count = slice.count
            let keys = loader.keys(
                epoch: epoch, orderPositions: ((position + slice.lowerBound)..<(position + slice.upperBound)).map(plan.orderPosition))
            let readStart = DispatchTime.now().uptimeNanoseconds
            do {
                try loader.prepare(keys, threads: configuration.threads)
            } catch {
                _ = buffer.put(.failure(error))
                break
            }
            let decodeStart = DispatchTime.now().uptimeNanoseconds
            var (features, labels, failures) = decode(keys, epoch: epoch)
            statistics.withLock {
                $0.readSeconds += Double(decodeStart - readStart) / 1e9
                $0.decodeSeconds += Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
                $0.samplesDecoded += count
            }
            var kept = keys
            var keptPositions: [Int]?
            var leftOut: [Int] = []
            if failures.contains(where: { $0 != nil }) {
                var keep = [Bool](repeating: true, count: count)
                do {
                    for slot in 0..<count {
                        guard let failure = failures[slot] else { continue }
                        guard let dataError = failure as? DataError, case .skip = configuration.badInput else { throw failure }
                        if recorded.insert(keys[slot]).inserted {
                            try quarantine.recordBad(dataError, origin: loader.origin(of: keys[slot]))
                        }
                        keep[slot] = false
                        leftOut.append(keys[slot])
                    }
                } catch {
                    _ = buffer.put(.failure(error))
                    break
                }
                let rows = (0..<count).filter { keep[$0] }
                features = features.gathering(rows: rows)
                labels = rows.map { labels[$0] }
                kept = rows.map { keys[$0] }
                keptPositions = rows.map { slice.lowerBound + $0 }
                failures = []
            }
            let indexInEpoch = position / configuration.batchSize
            position += globalCount
            let isLast = position >= used
            var after = PipelineState(
                seed: seed, epoch: isLast ? epoch + 1 : epoch, position: isLast ? 0 : position,
                datasetCount: loader.count, batchSize: configuration.batchSize,
                rank: configuration.rank, worldSize: configuration.worldSize)
            after.version = 1
            var batch = Batch(
                features: features, labels: labels, indices: kept, epoch: epoch, indexInEpoch: indexInEpoch,
                isLastInEpoch: isLast, stateAfter: after,
                globalCount: globalCount, sliceStart: slice.lowerBound, keptPositions: keptPositions)
            batch.leftOutIndices = leftOut
            statistics.withLock { $0.batchesProduced += 1 }
            guard buffer.put(.success(batch)) else { return }
            statistics.withLock { $0.largestDepth = max($0.largestDepth, buffer.depth) }
        }
        buffer.finish()
    }

    /// Loads, transforms and collates the samples of `keys` on the decode threads.
    private func decode(_ keys: [Int], epoch: Int) -> (Tensor, [Int], [Error?]) {
        let count = keys.count
        let shape = loader.sampleShape
        let width = Tensor.elementCount(of: shape)
        var labels = [Int](repeating: -1, count: count)
        var failures = [Error?](repeating: nil, count: count)
        let loader = self.loader
        let transforms = self.transforms
        let seed = self.seed
        let workers = self.workers
        let threadCount = min(workers.count, count)
        var features = batchTensor([count] + shape)
        features.withUnsafeMutableBufferPointer { out in
            labels.withUnsafeMutableBufferPointer { labelSlots in
                failures.withUnsafeMutableBufferPointer { failureSlots in
                    let shared = UncheckedSendable((out, labelSlots, failureSlots))
                    let next = Atomic<Int>(0)
                    ComputeThreads.concurrentPerform(threadCount) { worker in
                        let (out, labelSlots, failureSlots) = shared.value
                        let scratch = workers[worker]
                        while true {
                            let slot = next.add(1, ordering: .relaxed).oldValue
                            if slot >= count { break }
                            let destination = UnsafeMutableBufferPointer(rebasing: out[(slot * width)..<((slot + 1) * width)])
                            do {
                                labelSlots[slot] = try loader.load(keys[slot], into: destination, scratch: scratch)
                                if !transforms.isEmpty {
                                    var generator = RandomGenerator(seed: seed, stream: [UInt64(epoch), UInt64(bitPattern: Int64(keys[slot]))])
                                    for transform in transforms {
                                        transform.apply(to: destination, shape: shape, generator: &generator, scratch: &scratch.floats)
                                    }
                                }
                            } catch {
                                failureSlots[slot] = error
                                destination.update(repeating: 0)
                            }
                        }
                    }
                }
            }
        }
        return (features, labels, failures)
    }
}

extension BatchPipeline {
    /// The batches as an `AsyncSequence` (each `next()` waits on a Dispatch worker, not on the
    /// caller's thread).
    public var asyncBatches: AsyncBatches { AsyncBatches(pipeline: UncheckedSendable(self)) }
}

/// A pipeline's batches as an `AsyncSequence`.
public struct AsyncBatches: AsyncSequence, Sendable {
    /// Batches.
    public typealias Element = Batch
    let pipeline: UncheckedSendable<BatchPipeline>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let pipeline: UncheckedSendable<BatchPipeline>

        /// The next batch, or nil at the end.
        public mutating func next() async throws -> Batch? {
            let pipeline = self.pipeline
            return try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try pipeline.value.next() })
                }
            }
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipeline: pipeline) }
}
