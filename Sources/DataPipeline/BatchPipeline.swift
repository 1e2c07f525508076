import Dispatch
import Synchronization
import SystemIO
import Tensors

/// Turns a dataset into a stream of batches: sampler -> decode/transform (parallel) -> collate
/// -> prefetch, on a producer thread that stays up to `prefetchDepth` batches ahead.
///
/// The stream is a pure function of the configuration's seed: the order of every epoch, the
/// windows of a chunked source and every random augmentation derive from (seed, epoch, sample),
/// so batches are bit-identical for any thread count or prefetch depth. `state` (or a batch's
/// `stateAfter`) is a few hundred bytes; a pipeline created with it continues with exactly the
/// batches that would have followed, without decoding anything skipped.
///
/// One consumer: `next()` from one thread at a time, or one `asyncBatches` iterator in one task
/// (the pipeline is not `Sendable`). `interruptWait()` and `statistics` are safe from any thread.
public final class BatchPipeline {
    /// The configuration.
    public let configuration: PipelineConfiguration
    /// The per-sample transforms, in order.
    public let transforms: [SampleTransform]
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Samples per epoch in the dataset.
    public let datasetCount: Int
    /// Batches per epoch (global batches under `slicing`: the same on every rank).
    public let batchesPerEpoch: Int
    /// Bad samples skipped under the `.skip` policy.
    public let quarantine: Quarantine
    /// The state after the last batch returned by `next()`.
    public private(set) var state: PipelineState
    /// Warnings about the stream (such as a shuffle window too small for class-sorted data).
    public private(set) var warnings: [String] = []
    /// Called with each warning as it is raised (on the consumer's thread).
    public var onWarning: ((String) -> Void)?

    let context: ProducerContext
    private var consumerStart: UInt64?
    /// Whether the stream has ended for the consumer (end of data, an error, a stop).
    private(set) var isDone = false
    /// Whether an `asyncBatches` iterator owns the stream (then every other consumer is refused).
    var hasAsyncConsumer = false
    private var labelMix: LabelMixCheck

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
            try dataset.validate()
            let order = try sampler ?? BatchPipeline.sampler(for: dataset, configuration: configuration, seed: seed)
            try self.init(
                loader: RandomAccessLoader(source: dataset, sampler: order), configuration: configuration,
                transforms: transforms, state: state)
        case .chunked(let dataset):
            if case .pageAware = configuration.order, configuration.shuffle {
                throw BatchPipeline.pageAwareRefusal(reason: "this data is read a window of chunks at a time (window_chunks)")
            }
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
            configuration.slicing.map({ $0.chunkSize > 0 && $0.rankCount > 0 && (0..<$0.rankCount).contains($0.rank) }) ?? true
        else {
            throw DataError(
                .invalidOption, path: "pipeline",
                reason: "batch size, threads, prefetch depth, chunk size and rank count must be positive, and 0 <= rank < rank count",
                fix: "correct the pipeline configuration")
        }
        let start = state ?? PipelineState(seed: configuration.seed, datasetCount: loader.count, batchSize: configuration.batchSize)
        if let state, state.datasetCount != loader.count {
            throw PipelineError.incompatibleState("the state was saved with \(state.datasetCount) samples, the dataset has \(loader.count)")
        }
        for transform in transforms { try transform.check(sampleShape: loader.sampleShape) }
        self.configuration = configuration
        self.transforms = transforms
        sampleShape = loader.sampleShape
        datasetCount = loader.count
        quarantine = Quarantine(policy: configuration.badInput, expectedTotal: loader.count)
        let plan = EpochPlan(
            count: loader.count, batchSize: configuration.batchSize, batchRemainder: configuration.batchRemainder, slicing: configuration.slicing)
        // Dropping the remainder of a set smaller than one batch leaves no batch at all: every
        // epoch would end without a step, silently.
        guard plan.batchesPerEpoch > 0 || loader.count == 0 else {
            throw DataError(
                .invalidOption, path: "pipeline",
                reason: "a batch of \(configuration.batchSize) with the remainder dropped leaves no batch of the \(loader.count) samples",
                fix: "use a batch size of at most \(max(1, loader.count)), or keep the remainder")
        }
        batchesPerEpoch = plan.batchesPerEpoch
        var normalized = start
        normalized.batchSize = configuration.batchSize
        self.state = normalized
        labelMix = LabelMixCheck(
            classCount: loader.classCount, shuffle: configuration.shuffle, isChunked: loader.isChunked, chunkTotal: loader.chunkTotal,
            windowChunks: configuration.windowChunks, datasetCount: loader.count)
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
    /// that holds it (under `.fail`), `tooManyBadSamples`, or `PipelineError.timedOut`; and
    /// `PipelineError.alreadyConsumed` once an `asyncBatches` iterator owns the stream.
    public func next() throws -> Batch? {
        guard !hasAsyncConsumer else { throw PipelineError.alreadyConsumed }
        guard !isDone else { return nil }
        let began = DispatchTime.now().uptimeNanoseconds
        let depth = context.buffer.depth
        return try receive(context.buffer.take(timeout: configuration.waitTimeout), began: began, depth: depth)
    }

    /// The consumer's side of a take from the prefetch buffer begun at `began` with `depth`
    /// batches waiting: the statistics, the state, the label-mix check and the end of the stream.
    func receive(_ taken: PrefetchBuffer<Result<Batch, Error>>.Taken, began: UInt64, depth: Int) throws -> Batch? {
        if consumerStart == nil { consumerStart = began }
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
            if let warning = labelMix.observe(batch) {
                warnings.append(warning)
                onWarning?(warning)
            }
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
}
