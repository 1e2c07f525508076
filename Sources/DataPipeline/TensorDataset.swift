import SystemIO
import Tensors

/// Samples held in memory: features `[count, ...]` and labels.
public struct TensorDataset: RandomAccessDataset {
    /// All features; the first dimension indexes samples.
    public let features: Tensor
    /// One label per sample.
    public let labels: [Int]
    /// The class names.
    public let classNames: [String]
    /// The name shown in origins.
    public let name: String

    /// Creates a dataset; `labels.count` must equal `features.shape[0]`. A dataset where it does
    /// not is still created (so that this never traps), but `validate()` and every `load` throw
    /// an error giving both counts: the pipeline refuses it before reading.
    public init(features: Tensor, labels: [Int], classNames: [String] = [], name: String = "memory") {
        self.features = features
        self.labels = labels
        self.classNames = classNames
        self.name = name
    }

    /// Throws unless the features have one row per label (rank 1 or more, `shape[0] == labels.count`).
    public func validate() throws(DataError) {
        guard features.rank == 0 || features.shape[0] != labels.count else { return }
        let rows = features.rank == 0 ? "a rank-0 tensor (no sample axis)" : "\(features.shape[0]) rows (shape \(features.shape))"
        throw DataError(
            .inconsistentShape, path: name,
            reason: "TensorDataset(features:labels:) has \(labels.count) label\(labels.count == 1 ? "" : "s") but features of \(rows)",
            fix: "give one label per row of the features, whose first axis indexes samples")
    }

    /// The number of samples.
    public var count: Int { labels.count }
    /// The shape of one sample.
    public var sampleShape: [Int] { Array(features.shape.dropFirst()) }
    /// `name:index`.
    public func origin(at index: Int) -> SampleOrigin { .line(path: name, line: index) }

    /// Copies sample `index`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        try validate()
        let width = destination.count
        features.withUnsafeBufferPointer { source in
            _ = destination.update(fromContentsOf: source[(index * width)..<((index + 1) * width)])
        }
        return labels[index]
    }
}
