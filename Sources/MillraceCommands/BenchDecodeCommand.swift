import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import ImageFormats
import Synchronization
import SystemIO
import Tensors

/// `millrace bench decode <folder>`: listing time and image (PNG/JPEG) decode throughput.
struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure folder listing and image decoding (read + libpng or libjpeg decode to 8-bit pixels).",
        discussion: "Example: swift run -c release millrace bench decode /tmp/bench-data/synth-small --threads 1,2 --json"
    )

    @Argument(help: "An image class folder (root/<class>/<file>.png, .jpg or .jpeg).")
    var folder: String

    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"

    @Option(help: "Output channels: gray, rgb or rgba.")
    var channels: ChannelMode = .rgb

    @Option(help: "Decode at most this many images per measurement (0: all).", transform: IntegerOption.whole)
    var limit: Int = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard BenchGemmCommand.parseList(threads) != nil else { throw ValidationError("--threads takes comma-separated positive integers") }
    }

    func run() throws {
        let threadCounts = BenchGemmCommand.parseList(threads) ?? [1]
        _ = try ImageFolder(root: folder, options: .init(channels: channels))  // warm the directory cache
        let listingStart = DispatchTime.now().uptimeNanoseconds
        let dataset = try ImageFolder(root: folder, options: .init(channels: channels))
        let listingMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - listingStart) / 1e6
        let count = limit > 0 ? min(limit, dataset.count) : dataset.count
        var results: [[String: Any]] = []
        for threadCount in threadCounts {
            let (seconds, bytes) = try BenchDecodeCommand.decodeAll(dataset, count: count, threads: threadCount)
            results.append([
                "threads": threadCount,
                "images_per_second": (Double(count) / seconds).rounded(),
                "megabytes_per_second": (Double(bytes) / seconds / 1e6 * 10).rounded() / 10,
            ])
        }
        let summary: [String: Any] = [
            "benchmark": "decode", "folder": folder, "images": count, "classes": dataset.classNames.count,
            "listing_milliseconds": (listingMilliseconds * 10).rounded() / 10,
            "images_per_second": results.last?["images_per_second"] ?? 0,
            "megabytes_per_second": results.last?["megabytes_per_second"] ?? 0,
            "results": results, "peak_rss_bytes": ResourceUsage.peakResidentBytes(),
        ]
        if json {
            try JSONOutput.print(summary)
        } else {
            try ResultOutput.print(
                "\(count) images in \(dataset.classNames.count) classes; listing took \(String(format: "%.1f", listingMilliseconds)) ms")
            for result in results {
                try ResultOutput.print(
                    "threads \(result["threads"]!): \(result["images_per_second"]!) images/s, \(result["megabytes_per_second"]!) MB/s decoded")
            }
        }
    }

    /// Decodes the first `count` images on `threads` threads (work handed out in runs of 32);
    /// returns the seconds taken and the decoded bytes.
    static func decodeAll(_ dataset: ImageFolder, count: Int, threads: Int) throws -> (Double, Int) {
        let next = Atomic<Int>(0)
        let bytes = Atomic<Int>(0)
        let failure = Mutex<DataError?>(nil)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var decoded = 0
            let scratch = DecodeScratch()
            while true {
                let begin = next.add(32, ordering: .relaxed).oldValue
                if begin >= count { break }
                for index in begin..<min(begin + 32, count) {
                    do { decoded += try dataset.withImage(at: index, scratch: scratch) { $2.count } } catch {
                        failure.withLock { $0 = $0 ?? (error as? DataError) }
                    }
                }
            }
            bytes.add(decoded, ordering: .relaxed)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let error = failure.withLock({ $0 }) { throw error }
        return (seconds, bytes.load(ordering: .relaxed))
    }
}

extension ChannelMode: ExpressibleByArgument {}
