/// What staging has done.
public struct StagingStatistics: Sendable, Equatable {
    /// Bytes downloaded (verified shards).
    public var bytesFetched = 0
    /// Shards downloaded.
    public var shardsFetched = 0
    /// Shards deleted after use.
    public var shardsDeleted = 0
    /// Prefetched shards deleted early to make room for one needed now.
    public var shardsEvicted = 0
    /// Re-downloads after a checksum mismatch.
    public var checksumRetries = 0
    /// Seconds spent downloading.
    public var fetchSeconds = 0.0
    /// Seconds the pipeline waited for a shard.
    public var waitSeconds = 0.0
    /// Shards on disk now.
    public var residentShards = 0
    /// Bytes on disk now.
    public var residentBytes = 0
    /// The most bytes on disk at once.
    public var peakBytes = 0

    /// Download rate in bytes per second.
    public var bytesPerSecond: Double { fetchSeconds > 0 ? Double(bytesFetched) / fetchSeconds : 0 }
}
