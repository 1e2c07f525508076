import Synchronization
import Tensors

/// A batch of samples: features `[count, ...sampleShape]` and labels, with where it sits in the
/// stream and the pipeline state just after it (save that state to resume exactly after this
/// batch). A value type: it crosses from the producer to the consumer.
public struct Batch: Sendable {
    /// The features, one row (or image) per sample.
    public var features: Tensor
    /// The class index of each sample.
    public var labels: [Int]
    /// The dataset index of each sample (for chunked sources, `chunk << 32 | row`).
    public var indices: [Int]
    /// The epoch the batch belongs to.
    public var epoch: Int
    /// The batch's number within its epoch.
    public var indexInEpoch: Int
    /// Whether it is the epoch's last batch.
    public var isLastInEpoch: Bool
    /// The pipeline state after this batch.
    public var stateAfter: PipelineState
    /// Samples in the global batch this batch is a slice of (its own count without slicing).
    public var globalCount: Int
    /// The position of this slice's first sample within the global batch (0 without slicing).
    public var sliceStart: Int
    /// Where bad samples were left out (the `.skip` policy): each row's position within the global
    /// batch, increasing; `globalCount` then still counts the left-out samples, so gradient chunks
    /// stay where they were. Nil: the rows are positions `sliceStart..<sliceStart + count`.
    public var keptPositions: [Int]?
    /// The dataset indices of this slice's samples that were left out as bad.
    public var leftOutIndices: [Int] = []
    private let token = BatchToken()

    /// The number of samples.
    public var count: Int { labels.count }

    /// A batch outside any pipeline (benchmarks, tests): samples `0..<count` of epoch 0.
    public init(features: Tensor, labels: [Int]) {
        self.init(
            features: features, labels: labels, indices: Array(labels.indices), epoch: 0, indexInEpoch: 0, isLastInEpoch: true,
            stateAfter: PipelineState(seed: 0, epoch: 1, datasetCount: labels.count, batchSize: labels.count))
    }

    init(
        features: Tensor, labels: [Int], indices: [Int], epoch: Int, indexInEpoch: Int, isLastInEpoch: Bool, stateAfter: PipelineState,
        globalCount: Int? = nil, sliceStart: Int = 0, keptPositions: [Int]? = nil
    ) {
        self.globalCount = globalCount ?? labels.count
        self.sliceStart = sliceStart
        self.keptPositions = keptPositions
        self.features = features
        self.labels = labels
        self.indices = indices
        self.epoch = epoch
        self.indexInEpoch = indexInEpoch
        self.isLastInEpoch = isLastInEpoch
        self.stateAfter = stateAfter
    }

    /// The number of batches alive in this process (for memory diagnostics and tests).
    public static var liveCount: Int { BatchToken.live.load(ordering: .relaxed) }
}

/// Counts live batches: one token per batch, shared by its copies.
final class BatchToken: Sendable {
    static let live = Atomic<Int>(0)
    init() { BatchToken.live.add(1, ordering: .relaxed) }
    deinit { BatchToken.live.subtract(1, ordering: .relaxed) }
}
