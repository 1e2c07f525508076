import Layers

/// The rules of data-parallel runs: the gradient chunk size and what cannot run on several ranks.
public enum DataParallel {
    /// The checkpoint hyperparameter that records the chunk size (a resume keeps it, so it keeps the bits).
    public static let chunkKey = "gradient_chunk"

    /// The default chunk: 8 samples, or batch/64 for batches over 512, so up to 64 ranks have
    /// work. It depends on the batch size only, never on the rank count.
    public static func defaultChunkSize(batchSize: Int) -> Int {
        max(8, (batchSize + 63) / 64)
    }

    /// The chunk size of a run: the requested one, else the resumed checkpoint's, else on
    /// several ranks the default; nil (whole batches) for a plain run nobody asked to chunk:
    /// whole batches are faster on one process (about 40% for digits-cnn), and a plain run given
    /// the same `--gradient-chunk` as a data-parallel run matches it bit for bit. Batch
    /// normalisation uses the whole global batch's statistics either way (`SynchronizedBatchNorm`).
    public static func chunkSize(requested: Int?, saved: Int?, batchSize: Int, model: any Layer, ranks: Int) -> Int? {
        if let chosen = requested ?? saved { return chosen }
        return ranks > 1 ? defaultChunkSize(batchSize: batchSize) : nil
    }

    /// Refuses what a run on `ranks` ranks cannot do: skipping bad samples (ranks would disagree
    /// on the batch).
    public static func check(model: any Layer, configuration: RunConfiguration, ranks: Int, path: String) throws {
        guard ranks > 1 else { return }
        if configuration.pipeline.skipBadFraction != nil {
            throw RunConfigurationError(
                path: path, key: "pipeline.skip_bad_fraction", reason: "skipping bad samples is not supported on \(ranks) ranks",
                fix: "remove it (run `millrace inspect` to find bad files) or train without mpirun")
        }
    }

    /// Whether `layer` is or contains a `BatchNorm` (then chunked steps run layer by layer).
    static func containsBatchNorm(_ layer: any Layer) -> Bool {
        if layer is BatchNorm { return true }
        if let sequential = layer as? Sequential { return sequential.layers.contains(where: containsBatchNorm) }
        return false
    }
}
