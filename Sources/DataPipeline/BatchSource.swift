import Tensors

/// A random-access source that writes one sample's features straight into a slot of a batch
/// tensor, so that collation allocates nothing per sample.
public protocol BatchSource: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one sample's features (`[channels, height, width]` or `[features]`).
    var sampleShape: [Int] { get }
    /// The class names.
    var classNames: [String] { get }
    /// Where sample `index` comes from.
    func origin(at index: Int) -> SampleOrigin
    /// Writes sample `index`'s features into `destination` (exactly `sampleShape`'s element
    /// count) and returns its label. `scratch` belongs to the calling thread.
    func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch) throws -> Int
}

extension ImageFolder: BatchSource {
    /// `[channels, height, width]` at the output size.
    public var sampleShape: [Int] {
        let size = options.size ?? expectedSize ?? (0, 0)
        return [options.channels.channelCount, size.height, size.width]
    }

    /// Decodes image `index` and writes it as floats in [0, 1], channels first.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch) throws -> Int {
        try load(index, into: destination, scratch: scratch, normalization: nil)
    }

    /// Decodes image `index` and writes `(v / 255 - mean[c]) / standardDeviation[c]` channels first,
    /// through one 256-entry table per channel (the same arithmetic as converting, then normalizing).
    func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch,
              normalization: (mean: [Float], standardDeviation: [Float])?) throws -> Int {
        let channels = options.channels.channelCount
        try withImage(at: index, scratch: scratch) { width, height, pixels in
            precondition(destination.count == width * height * channels, "ImageFolder.load: destination does not match the sample shape")
            scratch.writeChannelsFirst(pixels, channels: channels, plane: width * height, normalization: normalization, into: destination)
        }
        return labels[index]
    }
}

extension DatasetSubset: BatchSource where Base: BatchSource {
    /// The base's sample shape.
    public var sampleShape: [Int] { base.sampleShape }

    /// Loads the base's sample at `indices[index]`.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch) throws -> Int {
        try base.load(indices[index], into: destination, scratch: scratch)
    }
}

/// Samples held in memory: features `[count, ...]` and labels.
public struct TensorDataset: BatchSource, Dataset {
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
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch) throws -> Int {
        let width = destination.count
        features.withUnsafeBufferPointer { source in
            _ = destination.update(fromContentsOf: source[(index * width)..<((index + 1) * width)])
        }
        return labels[index]
    }

    /// Sample `index`.
    public func sample(at index: Int) throws -> Sample {
        Sample(features: features.gathering(rows: [index]).reshaped(to: sampleShape), label: labels[index], origin: origin(at: index))
    }
}

/// Any `Dataset` as a `BatchSource` (one allocation per sample; the shape is that of sample 0).
public struct DatasetBatchSource<Base: Dataset>: BatchSource {
    /// The dataset.
    public let base: Base
    /// The shape of every sample.
    public let sampleShape: [Int]

    /// Wraps `base`, decoding sample 0 to learn the shape.
    public init(_ base: Base) throws {
        self.base = base
        sampleShape = base.count > 0 ? try base.sample(at: 0).features.shape : []
    }

    /// The number of samples.
    public var count: Int { base.count }
    /// The class names.
    public var classNames: [String] { base.classNames }
    /// The base's origin.
    public func origin(at index: Int) -> SampleOrigin { base.origin(at: index) }

    /// Decodes through `sample(at:)` and copies.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: DecodeScratch) throws -> Int {
        let sample = try base.sample(at: index)
        guard sample.features.shape == sampleShape else {
            throw DataError(.inconsistentShape, path: sample.origin.description,
                            reason: "sample has shape \(sample.features.shape), expected \(sampleShape)", fix: "give every sample the same shape")
        }
        sample.features.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0) }
        return sample.label
    }
}
