/// How a random-access dataset's samples lie in storage, for `PageAwareSampler`: consecutive
/// dataset indices in runs (one file each, in index order), every sample `sampleBytes` long and
/// each run's samples back to back from a page boundary (a uint8 pack's shards).
public struct StorageLayout: Sendable, Equatable, Hashable {
    /// The bytes of one stored sample.
    public var sampleBytes: Int
    /// The samples of each run, in index order.
    public var runs: [Int]

    /// A layout of `runs` of samples of `sampleBytes` each.
    public init(sampleBytes: Int, runs: [Int]) {
        self.sampleBytes = sampleBytes
        self.runs = runs
    }
}

/// The order in which a pipeline reads a random-access dataset when it shuffles.
public enum SampleOrder: Codable, Sendable, Equatable, Hashable {
    /// Every sample in a seeded permutation of the whole epoch (`ShuffledSampler`): the default.
    case shuffle
    /// FFCV's quasi-random order for data read through the page cache (`PageAwareSampler`):
    /// windows of consecutive samples spanning `windowPages` pages of 4096 bytes, the windows
    /// and the samples in each window in seeded orders. Needs a dataset with a `StorageLayout`.
    case pageAware(windowPages: Int)
}
