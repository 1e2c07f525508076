/// Training, validation or evaluation data as the pipeline reads it: a random-access dataset
/// (image folders, in-memory tensors, subsets) or a chunked one (CSV files, packed shards). The
/// pipeline core handles both without knowing any file format.
public enum DataSource: Sendable {
    /// Samples read by index in any order.
    case randomAccess(any RandomAccessDataset)
    /// Samples read a chunk at a time, shuffled within windows of chunks.
    case chunked(any ChunkedDataset)

    /// The number of samples.
    public var count: Int {
        switch self {
        case .randomAccess(let dataset): return dataset.count
        case .chunked(let dataset): return dataset.count
        }
    }

    /// The shape of one sample.
    public var sampleShape: [Int] {
        switch self {
        case .randomAccess(let dataset): return dataset.sampleShape
        case .chunked(let dataset): return dataset.sampleShape
        }
    }

    /// The class names.
    public var classNames: [String] {
        switch self {
        case .randomAccess(let dataset): return dataset.classNames
        case .chunked(let dataset): return dataset.classNames
        }
    }

    /// How many chunks can be held at once (nil: no limit, or not chunked).
    public var chunkCapacity: Int? {
        if case .chunked(let dataset) = self { return dataset.chunkCapacity }
        return nil
    }
}
