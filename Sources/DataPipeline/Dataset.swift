import SystemIO
import Tensors

/// A dataset whose samples can be read in any order by index: cheaply listed up front and
/// decoded lazily, each sample written straight into its slot of a batch, so that collation
/// allocates nothing per sample. Implementations are safe to call from several threads.
public protocol RandomAccessDataset: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one sample's features (`[channels, height, width]` or `[features]`).
    var sampleShape: [Int] { get }
    /// The class names, in class-index order.
    var classNames: [String] { get }
    /// Where sample `index` comes from, without decoding it.
    func origin(at index: Int) -> SampleOrigin
    /// Writes sample `index`'s features into `destination` (exactly `sampleShape`'s element
    /// count) and returns its label. `scratch` belongs to the calling thread. Throws
    /// `DataError` for bad input.
    func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int
    /// Throws when the dataset as a whole cannot be read (a `TensorDataset` whose labels do not
    /// match its feature rows); `BatchPipeline` calls it before reading. Default: nothing to check.
    func validate() throws(DataError)
    /// How the samples lie in storage, for a page-aware order (`SampleOrder.pageAware`), or nil
    /// when they do not lie in fixed-size runs of pages (the default).
    var storageLayout: StorageLayout? { get }
    /// A hint that sample `index` is loaded next on this thread: a dataset whose samples are in
    /// memory can start fetching its bytes (the default does nothing). Called from decode threads.
    func prefetch(_ index: Int)
}

extension RandomAccessDataset {
    /// Nothing to check.
    public func validate() throws(DataError) {}

    /// No layout in pages.
    public var storageLayout: StorageLayout? { nil }

    /// Nothing to fetch ahead.
    public func prefetch(_ index: Int) {}

    /// Reads sample `index` as a `Sample` (one allocation; pipelines use `load` instead).
    public func sample(at index: Int) throws -> Sample {
        var features = Tensor(shape: sampleShape)
        let label = try features.withUnsafeMutableBufferPointer { try load(index, into: $0, scratch: WorkerScratch()) }
        return Sample(features: features, label: label, origin: origin(at: index))
    }
}
