import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import Shards
import SystemIO

/// `millrace bench staging <packed-dir-or-url>`: staging throughput and whether training waited.
struct BenchStagingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staging",
        abstract: "Stream a packed dataset through the staging cache (bytes/s, waits, cache and memory use).",
        discussion: """
            Serve a packed directory on loopback and point the bench at it, for example:
              python3 -m http.server 8765 --bind 127.0.0.1 --directory /tmp/packed &
              swift run -c release millrace bench staging http://127.0.0.1:8765/manifest.json --cache-budget 20MB --step-milliseconds 2
            """
    )

    @Argument(help: "A packed directory or a manifest URL.")
    var data: String

    @Option(help: "The cache directory (emptied first).")
    var cacheDir: String = "/tmp/millrace-bench-staging"

    @Option(help: "The cache's disk budget (bytes, or 20MB).")
    var cacheBudget: String = "64MB"

    @Option(help: "Simulated training step time per batch, in milliseconds.")
    var stepMilliseconds: Double = 0

    @Option(help: "Epochs.", transform: IntegerOption.whole)
    var epochs: Int = 1

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let budget: Int
        switch ByteCount.bytes(in: cacheBudget) {
        case .success(let bytes): budget = bytes
        case .failure(let error): throw ValidationError("--cache-budget: \(error); use bytes or a size such as 20MB")
        }
        try? FileManager.default.removeItem(atPath: cacheDir)
        let startRSS = ResourceUsage.currentResidentBytes()
        let source: any ShardSource = data.hasPrefix("http") ? HTTPShardSource(manifestURL: URL(string: data)!) : LocalShardSource(directory: data)
        let stager = try ShardStager(source: source, cacheDirectory: cacheDir, budgetBytes: budget)
        var configuration = PipelineConfiguration()
        configuration.batchSize = 64
        configuration.threads = 2
        configuration.epochs = epochs
        configuration.windowChunks = max(1, min(4, (budget / max(1, stager.manifest.largestShardBytes) - 1) / 2))
        configuration.waitTimeout = 600
        let pipeline = try BatchPipeline(chunked: ShardedDataset(stager: stager), configuration: configuration)
        let start = DispatchTime.now().uptimeNanoseconds
        var samples = 0
        var largestCache = 0
        while let batch = try pipeline.next() {
            samples += batch.count
            if stepMilliseconds > 0 { usleep(UInt32(stepMilliseconds * 1000)) }
            largestCache = max(largestCache, stager.currentStatistics.residentBytes)
            pipeline.recycle(batch)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let staging = stager.currentStatistics
        let statistics = pipeline.statistics
        let result: [String: Any] = [
            "benchmark": "staging", "data": data, "samples": samples, "seconds": (seconds * 1000).rounded() / 1000,
            "samples_per_second": (Double(samples) / seconds).rounded(),
            "bytes_fetched": staging.bytesFetched, "fetch_megabytes_per_second": (staging.bytesPerSecond / 1e5).rounded() / 10,
            "shards_fetched": staging.shardsFetched, "shards_deleted": staging.shardsDeleted, "budget_bytes": budget,
            "peak_cache_bytes": staging.peakBytes, "staging_wait_seconds": (staging.waitSeconds * 1000).rounded() / 1000,
            "consumer_wait_fraction": (statistics.waitFraction * 1000).rounded() / 1000,
            "rss_start_bytes": startRSS, "rss_end_bytes": ResourceUsage.currentResidentBytes(), "peak_rss_bytes": ResourceUsage.peakResidentBytes(),
        ]
        stager.stop()
        if json {
            try JSONOutput.print(result)
        } else {
            for key in result.keys.sorted() { try ResultOutput.print("\(key): \(result[key]!)") }
        }
    }
}
