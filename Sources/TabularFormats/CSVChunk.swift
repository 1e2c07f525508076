import DataPipeline
import SystemIO
import Tensors

/// The rows of one chunk of a CSV file: features `[rows, featureCount]`, labels and the line
/// each row starts on. Chunks are numbered from 0 in file order.
public struct CSVChunk: Sendable, Equatable {
    /// The chunk's number.
    public var index: Int
    /// Where the chunk starts in the (decompressed) file.
    public var byteOffset: Int
    /// The chunk's length in bytes.
    public var byteCount: Int
    /// The line the chunk starts on (1-based).
    public var firstLine: Int
    /// The features, one row per sample.
    public var features: Tensor
    /// The class index of each row (-1 without a label column).
    public var labels: [Int]
    /// The 1-based line on which each row starts.
    public var lines: [Int]
    /// The file.
    public var path: String

    /// The number of rows (samples).
    public var count: Int { labels.count }

    /// Row `row` as a sample.
    public func sample(at row: Int) -> Sample {
        SampleChunk(index: index, features: features, labels: labels, path: path, lines: lines).sample(at: row)
    }
}
