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

    /// Creates a dataset; `labels.count` must equal `features.shape[0]`.
    public init(features: Tensor, labels: [Int], classNames: [String] = [], name: String = "memory") {
        precondition(features.rank >= 1 && features.shape[0] == labels.count, "TensorDataset: one label per sample")
        self.features = features
        self.labels = labels
        self.classNames = classNames
        self.name = name
    }

    /// The number of samples.
    public var count: Int { labels.count }
    /// The shape of one sample.
    public var sampleShape: [Int] { Array(features.shape.dropFirst()) }
    /// `name:index`.
    public func origin(at index: Int) -> SampleOrigin { .line(path: name, line: index) }

    /// Copies sample `index`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        let width = destination.count
        features.withUnsafeBufferPointer { source in
            _ = destination.update(fromContentsOf: source[(index * width)..<((index + 1) * width)])
        }
        return labels[index]
    }
}
