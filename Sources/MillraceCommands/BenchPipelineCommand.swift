import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import ImageFormats
import SystemIO
import Training

/// `millrace bench pipeline <folder>`: the full image pipeline (list, read, decode, normalise,
/// collate, prefetch) as a training loop would consume it.
struct BenchPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Measure the image pipeline end to end (images/s, per-stage figures, peak memory).",
        discussion: "Example: swift run -c release millrace bench pipeline /tmp/bench-data/synth-small --batch-size 64 --threads 2 --json"
    )

    @Argument(help: "An image class folder (PNG, JPEG or both).")
    var folder: String

    @Option(help: "Samples per batch.", transform: IntegerOption.whole)
    var batchSize: Int = 64

    @Option(help: "Decode threads.", transform: IntegerOption.whole)
    var threads: Int = 2

    @Option(help: "Batches prefetched.", transform: IntegerOption.whole)
    var prefetch: Int = 4

    @Option(help: "Epochs to run.", transform: IntegerOption.whole)
    var epochs: Int = 1

    @Option(help: "Output channels: gray, rgb or rgba.")
    var channels: ChannelMode = .rgb

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard batchSize > 0, threads > 0, prefetch > 0, epochs > 0 else {
            throw ValidationError("--batch-size, --threads, --prefetch and --epochs must be positive")
        }
    }

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        // Normalisation is part of the dataset's preprocessing (folded into the byte-to-float table).
        let channelCount = channels.channelCount
        let normalization = Normalization(
            mean: [Float](repeating: 0.5, count: channelCount),
            standardDeviation: [Float](repeating: 0.25, count: channelCount))
        let dataset = try ImageFolder(root: folder, options: .init(channels: channels, normalization: normalization))
        // What the first file holds (a folder may mix PNG and JPEG; each file is decoded by its signature).
        let format = try dataset.paths.first.map { try ImageDecoder().header(file: $0).formatName } ?? "none"
        // The prefetch queue and its two spare batches.
        let batchFloats = MemoryEstimate.multiply(MemoryEstimate.count(dataset.sampleShape), min(batchSize, max(dataset.count, 1)))
        try BenchBudget.check(
            "--batch-size \(batchSize) with --prefetch \(prefetch) of \(dataset.sampleShape) images",
            bytes: BenchBudget.bytes(ofFloats: MemoryEstimate.multiply(batchFloats, MemoryEstimate.add(prefetch, 2))),
            fix: "use a smaller --batch-size or --prefetch")
        var configuration = PipelineConfiguration()
        configuration.batchSize = batchSize
        configuration.threads = threads
        configuration.prefetchDepth = prefetch
        configuration.epochs = epochs
        configuration.seed = 1
        let pipeline = try BatchPipeline(dataset: dataset, configuration: configuration)
        var images = 0
        var checksum = 0.0
        while let batch = try pipeline.next() {
            images += batch.count
            checksum += Double(batch.features[flat: 0])
            pipeline.recycle(batch)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let statistics = pipeline.statistics
        let summary: [String: Any] = [
            "benchmark": "pipeline", "folder": folder, "first_image_format": format, "images": images, "batch_size": batchSize, "threads": threads,
            "prefetch": prefetch, "seconds": (seconds * 1000).rounded() / 1000,
            "images_per_second": (Double(images) / seconds).rounded(),
            "decode_images_per_second": statistics.decodeSamplesPerSecond.rounded(),
            "consumer_wait_fraction": (statistics.waitFraction * 1000).rounded() / 1000,
            "average_prefetch_depth": (statistics.averageDepth * 100).rounded() / 100,
            "peak_rss_bytes": ResourceUsage.peakResidentBytes(), "checksum": checksum,
        ]
        if json {
            try JSONOutput.print(summary)
        } else {
            try ResultOutput.print("first image: \(format)")
            try ResultOutput.print(
                "\(images) images in \(String(format: "%.2f", seconds)) s: \(Int(Double(images) / seconds)) images/s (list + read + decode + normalise + collate + prefetch)"
            )
            try ResultOutput.print(statistics.summary)
            try ResultOutput.print("peak RSS: \(ResourceUsage.peakResidentBytes() / 1_048_576) MiB")
        }
    }
}
