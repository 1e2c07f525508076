/// The rules of data-parallel runs: the gradient chunk size.
public enum DataParallel {
    /// The checkpoint hyperparameter that records the chunk size (a resume keeps it, so it keeps the bits).
    public static let chunkKey = "gradient_chunk"

    /// The default chunk: 8 samples, or batch/64 for batches over 512, so up to 64 ranks have
    /// work. It depends on the batch size only, never on the rank count.
    public static func defaultChunkSize(batchSize: Int) -> Int {
        max(8, (batchSize + 63) / 64)
    }

    /// The chunk size of a run: the requested one, else the resumed checkpoint's, else the
    /// default for the batch size. A plain run uses it too, so it matches data-parallel runs bit for bit.
    public static func chunkSize(requested: Int?, saved: Int?, batchSize: Int) -> Int {
        requested ?? saved ?? defaultChunkSize(batchSize: batchSize)
    }
}
