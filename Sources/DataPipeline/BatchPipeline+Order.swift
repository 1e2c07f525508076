import SystemIO

extension BatchPipeline {
    /// The order in which a pipeline reads a random-access dataset when it is given no sampler:
    /// sequential without shuffling, else the configuration's order (a page-aware one needs the
    /// dataset's `StorageLayout`), keyed by `seed` (default: the configuration's).
    public static func sampler(for dataset: any RandomAccessDataset, configuration: PipelineConfiguration, seed: UInt64? = nil)
        throws(DataError) -> any Sampler
    {
        let seed = seed ?? configuration.seed
        guard configuration.shuffle else { return SequentialSampler(count: dataset.count) }
        switch configuration.order {
        case .shuffle:
            return ShuffledSampler(count: dataset.count, seed: seed)
        case .pageAware(let windowPages):
            guard let layout = dataset.storageLayout else {
                throw pageAwareRefusal(reason: "these samples are not stored in pages (\(dataset.count) samples of \(dataset.sampleShape))")
            }
            return PageAwareSampler(layout: layout, windowPages: windowPages, seed: seed)
        }
    }

    /// The error for a page-aware order asked of data without pages.
    static func pageAwareRefusal(reason: String) -> DataError {
        DataError(
            .invalidOption, path: "pipeline",
            reason: "order page_aware needs a decoded pack (millrace pack --decoded) read from a local folder, but \(reason)",
            fix: "use order shuffle (the default) for this data, or pack it with millrace pack --decoded")
    }
}
