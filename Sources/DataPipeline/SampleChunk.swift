import Tensors

/// The samples of one chunk of a chunked dataset: features `[rows, ...sampleShape]`, labels and
/// where each row came from.
public struct SampleChunk: Sendable, Equatable {
    /// The chunk's number.
    public var index: Int
    /// The features, one row (or image) per sample.
    public var features: Tensor
    /// The class index of each row (-1 without a label).
    public var labels: [Int]
    /// The file the chunk was read from.
    public var path: String
    /// The line (text formats, 1-based) or record number (shards) of each row.
    public var lines: [Int]

    /// Creates a chunk; `labels` and `lines` hold one entry per row of `features`.
    public init(index: Int, features: Tensor, labels: [Int], path: String, lines: [Int]) {
        self.index = index
        self.features = features
        self.labels = labels
        self.path = path
        self.lines = lines
    }

    /// The number of rows (samples).
    public var count: Int { labels.count }

    /// Where row `row` came from.
    public func origin(ofRow row: Int) -> SampleOrigin { .line(path: path, line: lines[row]) }

    /// Row `row` as a sample.
    public func sample(at row: Int) -> Sample {
        let shape = Array(features.shape.dropFirst())
        let width = Tensor.elementCount(of: shape)
        let values = Tensor(
            shape: shape,
            unsafeUninitialized: { out in
                features.withUnsafeBufferPointer { _ = out.initialize(fromContentsOf: $0[(row * width)..<((row + 1) * width)]) }
            })
        return Sample(features: values, label: labels[row], origin: origin(ofRow: row))
    }

    /// The rows at `rows`, in that order.
    public func selecting(rows: [Int]) -> SampleChunk {
        SampleChunk(
            index: index, features: features.gathering(rows: rows), labels: rows.map { labels[$0] }, path: path,
            lines: rows.map { lines[$0] })
    }
}
