import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import ImageFormats
import Shards
import SystemIO
import Training

/// `millrace bench pipeline <folder>`: the full image pipeline (list, read, decode, normalise,
/// collate, prefetch) as a training loop would consume it; or, for a decoded pack (`pack
/// --decoded`), the mapped pack converted into float batches, with a `memcpy` of the same bytes
/// in the same order for comparison.
struct BenchPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Measure the image pipeline end to end (images/s, per-stage figures, peak memory).",
        discussion: """
            Example: swift run -c release millrace bench pipeline /tmp/bench-data/synth-small --batch-size 64 --threads 2 --json

            Given a decoded pack (millrace pack <folder> --output <pack> --decoded), it reads the pack through mmap and \
            also times memcpy of the same uint8 bytes in the same order on one thread (memcpy_images_per_second).
            """
    )

    /// `--order`.
    enum Order: String, ExpressibleByArgument, CaseIterable {
        case shuffle
        case pageAware = "page-aware"
    }

    @Argument(help: "An image class folder (PNG, JPEG or both), or a decoded pack's folder (millrace pack --decoded).")
    var folder: String

    @Option(help: "Samples per batch.", transform: IntegerOption.whole)
    var batchSize: Int = 64

    @Option(help: "Decode threads.", transform: IntegerOption.whole)
    var threads: Int = 2

    @Option(help: "Batches prefetched.", transform: IntegerOption.whole)
    var prefetch: Int = 4

    @Option(help: "Epochs to run.", transform: IntegerOption.whole)
    var epochs: Int = 1

    @Option(help: "Output channels: gray, rgb or rgba (a pack keeps its own).")
    var channels: ChannelMode = .rgb

    @Option(help: "Decoded packs: shuffle (the whole epoch) or page-aware (windows of pages).")
    var order: Order = .shuffle

    @Option(help: "Pages of 4096 bytes per window of --order page-aware.", transform: IntegerOption.whole)
    var windowPages: Int = PageAwareSampler.defaultWindowPages

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard batchSize > 0, threads > 0, prefetch > 0, epochs > 0, windowPages > 0 else {
            throw ValidationError("--batch-size, --threads, --prefetch, --epochs and --window-pages must be positive")
        }
    }

    func run() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let isPack = DataKind.of(path: folder) == .packed
        // Normalisation is part of the dataset's preprocessing (folded into the byte-to-float table,
        // or into the conversion of a pack's bytes).
        let dataset: any RandomAccessDataset = try isPack ? BenchPipelineCommand.openPack(folder) : openFolder()
        // What the first file holds (a folder may mix PNG and JPEG; each file is decoded by its signature).
        let format = try isPack ? "decoded pack" : (openFolder().paths.first.map { try ImageDecoder().header(file: $0).formatName } ?? "none")
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
        if isPack && order == .pageAware { configuration.order = .pageAware(windowPages: windowPages) }
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
        var summary: [String: Any] = [
            "benchmark": "pipeline", "folder": folder, "first_image_format": format, "images": images, "batch_size": batchSize, "threads": threads,
            "prefetch": prefetch, "seconds": (seconds * 1000).rounded() / 1000,
            "images_per_second": (Double(images) / seconds).rounded(),
            "decode_images_per_second": statistics.decodeSamplesPerSecond.rounded(),
            "consumer_wait_fraction": (statistics.waitFraction * 1000).rounded() / 1000,
            "average_prefetch_depth": (statistics.averageDepth * 100).rounded() / 100,
            "peak_rss_bytes": ResourceUsage.peakResidentBytes(), "checksum": checksum,
        ]
        var baseline: BenchPipelineCommand.CopyBaseline?
        if let pack = dataset as? MappedPack {
            let copied = try BenchPipelineCommand.copyBaseline(
                pack, sampler: BatchPipeline.sampler(for: pack, configuration: configuration), configuration: configuration)
            summary["format"] = "uint8 pack (mmap)"
            summary["order"] = order.rawValue
            summary["memcpy_images_per_second"] = copied.imagesPerSecond.rounded()
            summary["memcpy_bytes_per_second"] = copied.bytesPerSecond.rounded()
            summary["memcpy_ratio"] = (copied.imagesPerSecond / (Double(images) / seconds) * 100).rounded() / 100
            summary["convert_images_per_second"] = try BenchPipelineCommand.conversionRate(
                pack, sampler: BatchPipeline.sampler(for: pack, configuration: configuration), configuration: configuration
            ).rounded()
            baseline = copied
        }
        if json {
            try JSONOutput.print(summary)
        } else {
            try ResultOutput.print("first image: \(format)")
            let stages = isPack ? "open + map + convert + normalise + collate + prefetch" : "list + read + decode + normalise + collate + prefetch"
            try ResultOutput.print("\(images) images in \(String(format: "%.3f", seconds)) s: \(Int(Double(images) / seconds)) images/s (\(stages))")
            try ResultOutput.print(statistics.summary)
            if let baseline {
                try ResultOutput.print(
                    "memcpy of the same uint8 bytes in the same order (1 thread): \(Int(baseline.imagesPerSecond)) images/s, "
                        + "\(String(format: "%.2f", baseline.bytesPerSecond / 1e9)) GB/s; the pipeline took "
                        + "\(String(format: "%.2f", baseline.imagesPerSecond / (Double(images) / seconds)))x as long")
            }
            try ResultOutput.print("peak RSS: \(ResourceUsage.peakResidentBytes() / 1_048_576) MiB")
        }
    }

    /// The image folder, normalised by 0.5 and 0.25 per channel.
    private func openFolder() throws -> ImageFolder {
        let channelCount = channels.channelCount
        let normalization = Normalization(
            mean: [Float](repeating: 0.5, count: channelCount), standardDeviation: [Float](repeating: 0.25, count: channelCount))
        return try ImageFolder(root: folder, options: .init(channels: channels, normalization: normalization))
    }
}
