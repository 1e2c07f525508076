import Tensors

/// Where a sample came from, for error reports and quarantine lists.
public enum SampleOrigin: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A whole file (an image).
    case file(String)
    /// A line of a text file (a CSV row).
    case line(path: String, line: Int)

    /// `path` or `path:line`.
    public var description: String {
        switch self {
        case .file(let path): return path
        case .line(let path, let line): return "\(path):\(line)"
        }
    }
}

/// One training example: its features, its class index, and where it came from.
public struct Sample: Sendable, Equatable {
    /// The features: `[channels, height, width]` for images, `[features]` for table rows.
    public var features: Tensor
    /// The class index (`-1` when the data has no label).
    public var label: Int
    /// Where the sample came from.
    public var origin: SampleOrigin

    /// Creates a sample.
    public init(features: Tensor, label: Int, origin: SampleOrigin) {
        self.features = features
        self.label = label
        self.origin = origin
    }
}
