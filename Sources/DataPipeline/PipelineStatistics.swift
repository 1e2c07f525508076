/// What a pipeline has done so far, per stage, and how long its consumer waited.
public struct PipelineStatistics: Sendable, Equatable {
    /// Batches produced.
    public var batchesProduced = 0
    /// Samples decoded (including skipped bad ones).
    public var samplesDecoded = 0
    /// Wall time of the decode stage (loading, decoding, transforming, collating).
    public var decodeSeconds = 0.0
    /// Wall time of the read stage (chunks read before decoding).
    public var readSeconds = 0.0
    /// Wall time the producer existed.
    public var producerSeconds = 0.0
    /// Batches handed to the consumer.
    public var batchesConsumed = 0
    /// Time the consumer spent waiting inside `next()`.
    public var consumerWaitSeconds = 0.0
    /// Time from the consumer's first `next()` to its latest return.
    public var consumerSeconds = 0.0
    /// The prefetch buffer's depth, summed over the consumer's takes (for the average).
    public var depthTotal = 0
    /// The deepest the prefetch buffer has been.
    public var largestDepth = 0

    /// Samples per second through the decode stage.
    public var decodeSamplesPerSecond: Double { decodeSeconds > 0 ? Double(samplesDecoded) / decodeSeconds : 0 }
    /// The average number of ready batches the consumer found.
    public var averageDepth: Double { batchesConsumed > 0 ? Double(depthTotal) / Double(batchesConsumed) : 0 }
    /// The fraction of the consumer's time spent waiting for data.
    public var waitFraction: Double { consumerSeconds > 0 ? consumerWaitSeconds / consumerSeconds : 0 }

    /// A one-paragraph summary.
    public var summary: String {
        func f(_ x: Double) -> String { String(Int((x * 10).rounded())) == "0" && x > 0 ? "<0.1" : String(Double(Int((x * 10).rounded())) / 10) }
        return "decode: \(samplesDecoded) samples in \(f(decodeSeconds)) s (\(Int(decodeSamplesPerSecond)) samples/s); "
            + "read: \(f(readSeconds)) s; prefetch depth: average \(f(averageDepth)), largest \(largestDepth); "
            + "consumer waited \(f(consumerWaitSeconds)) s of \(f(consumerSeconds)) s (\(f(waitFraction * 100))% of its time)"
    }
}
