import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import SystemIO
import TabularFormats
import Training

/// `millrace bench csv <file>`: streaming CSV parse throughput and peak memory.
struct BenchCSVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Measure streaming CSV parsing (rows/s, MB/s, peak resident memory).",
        discussion: "Example: swift run -c release millrace bench csv /tmp/bench-data/big.csv --threads 1,2 --json"
    )

    @Argument(help: "A CSV file (optionally gzip-compressed) with a header and a numeric 'label' column.")
    var file: String

    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"

    @Option(help: "Chunk size in bytes.", transform: IntegerOption.whole)
    var chunkBytes: Int = 1 << 20

    @Option(help: "Columns to leave out of the features (comma-separated names).")
    var ignore: String = ""

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard BenchGemmCommand.parseList(threads) != nil else { throw ValidationError("--threads takes comma-separated positive integers") }
        guard chunkBytes > 0 else { throw ValidationError("--chunk-bytes must be positive") }
        // Each thread holds a chunk's bytes and its parsed floats (about as many again).
        let threadCount = BenchGemmCommand.parseList(threads)?.max() ?? 1
        try BenchBudget.check(
            "--chunk-bytes \(chunkBytes) on \(threadCount) threads",
            bytes: MemoryEstimate.multiply(MemoryEstimate.multiply(chunkBytes, 2), threadCount),
            fix: "use a smaller --chunk-bytes")
    }

    func run() throws {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        var results: [[String: Any]] = []
        for threadCount in BenchGemmCommand.parseList(threads) ?? [1] {
            var options = CSVOptions()
            options.threads = threadCount
            options.chunkBytes = chunkBytes
            options.ignoredColumns = ignore.split(separator: ",").map { .name(String($0)) }
            let start = DispatchTime.now().uptimeNanoseconds
            let reader = try CSVReader(path: file, options: options)
            var rows = 0
            var checksum = 0.0
            while let chunk = try reader.next() {
                rows += chunk.count
                checksum += Double(chunk.features.withUnsafeBufferPointer { $0.last } ?? 0)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            results.append([
                "threads": threadCount, "rows": rows, "seconds": (seconds * 1000).rounded() / 1000,
                "rows_per_second": (Double(rows) / seconds).rounded(),
                "megabytes_per_second": (Double(bytes) / seconds / 1e6 * 10).rounded() / 10,
                "features": reader.featureNames.count, "checksum": checksum,
            ])
        }
        let summary: [String: Any] = [
            "benchmark": "csv", "file": file, "bytes": bytes,
            "rows_per_second": results.last?["rows_per_second"] ?? 0,
            "megabytes_per_second": results.last?["megabytes_per_second"] ?? 0,
            "peak_rss_bytes": ResourceUsage.peakResidentBytes(), "results": results,
        ]
        if json {
            try JSONOutput.print(summary)
        } else {
            for result in results {
                try ResultOutput.print(
                    "threads \(result["threads"]!): \(result["rows"]!) rows in \(result["seconds"]!) s: \(result["rows_per_second"]!) rows/s, \(result["megabytes_per_second"]!) MB/s"
                )
            }
            try ResultOutput.print("peak RSS: \(ResourceUsage.peakResidentBytes() / 1_048_576) MiB")
        }
    }
}
