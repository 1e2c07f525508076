import Dispatch
import Foundation
import Synchronization
import Tensors

/// The producer side of a `BatchPipeline`: runs on its own thread, reads each batch's samples
/// (sampler order, this rank's slice), decodes them on the decode threads, leaves out bad samples
/// under the skip policy and puts the batches into the prefetch buffer. Everything the consumer
/// side may touch from another thread (the buffer, the statistics, cancellation) is thread-safe.
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
    let workers: [WorkerScratch]
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
    func batchTensor(_ shape: [Int]) -> Tensor {
        let count = Tensor.elementCount(of: shape)
        let reused = recycled.withLock { pool -> Tensor? in
            guard let index = pool.lastIndex(where: { $0.count == count }) else { return nil }
            return pool.remove(at: index)
        }
        return reused?.reshaped(to: shape) ?? Tensor(shape: shape, unsafeUninitialized: { _ in })
    }

    /// Stops the producer after the batch it is making and wakes both sides of the buffer.
    /// Safe from any thread.
    func cancel() {
        cancelled.store(true, ordering: .relaxed)
        buffer.cancel()
    }

    /// Whether `cancel()` was called: the producer and its decode threads stop at the next sample.
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

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

    /// The most batches decoded in one pass (see `run`).
    static let largestPass = 4

    /// One batch of a pass: where it starts in the epoch, its global size, this rank's slice and
    /// the keys of the slice.
    private struct PlannedBatch {
        var position: Int
        var globalCount: Int
        var slice: Range<Int>
        var keys: [Int]
    }

    /// Makes batches until the last epoch ends or the pipeline is cancelled. Each pass decodes
    /// one batch or, for random-access data while the buffer has room for more (a consumer that
    /// keeps up), up to `largestPass` batches of the epoch at once: the decode threads and the
    /// consumer are then woken once per pass, not once per batch (samples that are cheap to
    /// decode, such as a decoded pack's, spent as long in those wake-ups as in decoding). The
    /// batches are the same however they are grouped.
    private func run(from state: PipelineState) {
        var epoch = state.epoch
        var position = state.position
        var recorded = Set<Int>()
        let used = plan.usedPerEpoch
        production: while !cancelled.load(ordering: .relaxed) {
            if let epochs = configuration.epochs, epoch >= epochs { break }
            guard used > 0 else { break }
            if position >= used {
                epoch += 1
                position = 0
                continue
            }
            // Chunked data is prepared one batch at a time (preparing releases the chunks the
            // batch does not need).
            let room = loader.isChunked ? 1 : min(ProducerContext.largestPass, max(1, buffer.capacity - buffer.depth))
            var pass: [PlannedBatch] = []
            var next = position
            while pass.count < room && next < used {
                let globalCount = min(configuration.batchSize, used - next)
                let slice = plan.slice(ofBatchOf: globalCount)
                let keys = loader.keys(epoch: epoch, orderPositions: Array((next + slice.lowerBound)..<(next + slice.upperBound)))
                pass.append(PlannedBatch(position: next, globalCount: globalCount, slice: slice, keys: keys))
                next += globalCount
            }
            let readStart = DispatchTime.now().uptimeNanoseconds
            do {
                for planned in pass { try loader.prepare(planned.keys, threads: configuration.threads) }
            } catch {
                _ = buffer.put(.failure(error))
                break
            }
            let decodeStart = DispatchTime.now().uptimeNanoseconds
            let decoded = decode(pass.map(\.keys), epoch: epoch)
            // A stop during the decode left the batches unfinished: they are never handed out.
            if isCancelled { break }
            statistics.withLock {
                $0.readSeconds += Double(decodeStart - readStart) / 1e9
                $0.decodeSeconds += Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
                $0.samplesDecoded += pass.reduce(0) { $0 + $1.keys.count }
            }
            // The pass's batches go into the buffer together: a waiting consumer is woken once.
            var ready: [Result<Batch, Error>] = []
            for (planned, decodedRows) in zip(pass, decoded) {
                var rows = decodedRows
                if rows.failures.contains(where: { $0 != nil }) {
                    do {
                        try leaveOutBadSamples(of: &rows, sliceStart: planned.slice.lowerBound, recorded: &recorded)
                    } catch {
                        ready.append(.failure(error))
                        break
                    }
                }
                let indexInEpoch = planned.position / configuration.batchSize
                position = planned.position + planned.globalCount
                let isLast = position >= used
                var after = PipelineState(
                    seed: seed, epoch: isLast ? epoch + 1 : epoch, position: isLast ? 0 : position,
                    datasetCount: loader.count, batchSize: configuration.batchSize)
                after.version = 1
                var batch = Batch(
                    features: rows.features, labels: rows.labels, indices: rows.keys, epoch: epoch, indexInEpoch: indexInEpoch,
                    isLastInEpoch: isLast, stateAfter: after,
                    globalCount: planned.globalCount, sliceStart: planned.slice.lowerBound, keptPositions: rows.keptPositions)
                batch.leftOutIndices = rows.leftOut
                ready.append(.success(batch))
            }
            let produced = ready.filter { if case .success = $0 { true } else { false } }.count
            statistics.withLock { $0.batchesProduced += produced }
            guard buffer.put(contentsOf: ready) else { return }
            statistics.withLock { $0.largestDepth = max($0.largestDepth, buffer.depth) }
            if case .failure = ready.last { break }
        }
        buffer.finish()
    }
}
