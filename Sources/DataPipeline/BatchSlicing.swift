/// Data parallelism over one global batch: every global batch is cut into chunks of
/// `chunkSize` samples (the last may be shorter), and the chunks are dealt to `rankCount` ranks
/// in contiguous runs. A rank's pipeline reads only its own chunks' samples, from the same
/// seeded order as every other rank, so no two ranks read the same sample and the order (and the
/// pipeline state) is that of one process.
public struct BatchSlicing: Codable, Sendable, Equatable {
    /// Samples per chunk (independent of the rank count, so the chunks are the same for any).
    public var chunkSize: Int
    /// This rank.
    public var rank: Int
    /// The number of ranks.
    public var rankCount: Int

    /// Creates the slicing of `rank` among `rankCount` ranks.
    public init(chunkSize: Int, rank: Int, rankCount: Int) {
        self.chunkSize = chunkSize
        self.rank = rank
        self.rankCount = rankCount
    }

    /// The chunks of a global batch of `count` samples.
    public func plan(count: Int) -> ChunkPlan {
        ChunkPlan(sampleCount: count, chunkSize: chunkSize, rankCount: rankCount)
    }
}

/// How one global batch of `sampleCount` samples is cut into chunks and dealt to ranks: pure
/// arithmetic on counts.
public struct ChunkPlan: Sendable, Equatable {
    /// Samples in the global batch.
    public let sampleCount: Int
    /// Samples per chunk (the last chunk may be shorter).
    public let chunkSize: Int
    /// The number of ranks.
    public let rankCount: Int

    /// Creates the plan.
    public init(sampleCount: Int, chunkSize: Int, rankCount: Int) {
        self.sampleCount = sampleCount
        self.chunkSize = max(1, chunkSize)
        self.rankCount = max(1, rankCount)
    }

    /// The number of chunks.
    public var chunkCount: Int { (sampleCount + chunkSize - 1) / chunkSize }

    /// The chunks of `rank`: a contiguous run, as even as the counts allow (possibly empty).
    public func chunks(ofRank rank: Int) -> Range<Int> {
        (chunkCount * rank / rankCount)..<(chunkCount * (rank + 1) / rankCount)
    }

    /// The positions (within the global batch) of the samples of `chunk`.
    public func samples(ofChunk chunk: Int) -> Range<Int> {
        min(chunk * chunkSize, sampleCount)..<min((chunk + 1) * chunkSize, sampleCount)
    }

    /// The positions (within the global batch) of the samples of `rank`'s chunks.
    public func samples(ofRank rank: Int) -> Range<Int> {
        samples(ofChunks: chunks(ofRank: rank))
    }

    /// The positions (within the global batch) of the samples of a run of chunks.
    public func samples(ofChunks chunks: Range<Int>) -> Range<Int> {
        min(chunks.lowerBound * chunkSize, sampleCount)..<min(chunks.upperBound * chunkSize, sampleCount)
    }
}
