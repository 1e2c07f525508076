import ArgumentParser
import DataPipeline
import Foundation
import ImageFormats
import Shards
import TabularFormats
import Training

/// `millrace pack <image-folder|csv> --output <dir>`: cuts a dataset into shards plus a manifest.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Write an image (PNG/JPEG) class folder or a CSV file as shard files plus a manifest.",
        discussion: """
            Images keep their file bytes (or, with --decoded, their 8-bit pixels, one fixed size per pack, which \
            training reads in place through mmap with nothing to decode); CSV rows become float records. \
            Samples are shuffled with a seed unless --keep-order is given (class-sorted folders shuffle \
            badly in small windows otherwise). Serve the output directory over HTTP, or point \
            --data at it, to stream it: millrace train pipelines/digits-mlp.json --data <dir> --cache-budget 100MB

            Example: millrace pack datasets/digits --output /tmp/digits-packed --shard-size 64KB --channels gray
            """
    )

    @Argument(help: "An image (PNG/JPEG) class folder or a CSV file.")
    var input: String

    @Option(help: "The output directory.")
    var output: String

    @Option(
        parsing: .unconditional,
        help: "The largest shard file, header included: bytes (64MB, 512KB, 1000000), or samples per shard (500samples).")
    var shardSize: String = "64MB"

    @Option(help: "Images: gray, rgb or rgba.")
    var channels: ChannelMode = .rgb

    @Flag(help: "Images: store decoded uint8 pixels (read through mmap, no decoding) instead of the file bytes.")
    var decoded = false

    @Flag(help: "Keep the input's order instead of shuffling.")
    var keepOrder = false

    @Option(help: "The shuffle seed.", transform: IntegerOption.whole)
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        _ = try PackCommand.limits(shardSize)
    }

    /// The shard limit `--shard-size` gives: bytes, or a sample count (`500samples`).
    static func limits(_ text: String) throws(ValidationError) -> ShardPacker.Limits {
        let lower = text.lowercased()
        if lower.hasSuffix("samples") {
            guard let count = Int(lower.dropLast(7)), count > 0 else {
                throw ValidationError(
                    "--shard-size: '\(text)' is not a positive sample count; use bytes (64MB, 512KB, 1000000) or samples (500samples)")
            }
            return .init(samples: count)
        }
        switch ByteCount.bytes(in: text) {
        case .success(let bytes): return .init(bytes: bytes)
        case .failure(let error): throw ValidationError("--shard-size: \(error); use bytes (64MB, 512KB, 1000000) or samples (500samples)")
        }
    }

    func run() throws {
        let limits = try PackCommand.limits(shardSize)
        let manifest: ShardManifest
        var oversized: [ShardPacker.OversizedSample] = []
        // Before the input is walked: an output inside an image folder would read as a class.
        try ShardPacker.checkOutput(output, source: input)
        if DataKind.of(path: input) == .csv {
            // A pack is training data: its labels must make a classification problem.
            var options = CSVOptions()
            options.checksClasses = true
            manifest = try ShardPacker.pack(csv: input, options: options, output: output, limits: limits) { oversized.append($0) }
        } else {
            manifest = try ShardPacker.pack(
                images: try ImageFolder(root: input, options: .init(channels: channels)), output: output, limits: limits,
                storage: decoded ? .uint8 : .png, shuffleSeed: keepOrder ? nil : seed
            ) { oversized.append($0) }
        }
        let bytes = manifest.shards.reduce(0) { $0 + $1.bytes }
        if json {
            try JSONOutput.print([
                "output": output, "samples": manifest.totalSamples, "shards": manifest.shards.count, "bytes": bytes,
                "sample_format": manifest.sampleFormat.rawValue,
                "largest_shard_bytes": manifest.largestShardBytes, "shard_size_limit": limits.bytes ?? NSNull(),
                "oversized": oversized.map { ["sample": $0.sample, "shard": $0.shard, "shard_bytes": $0.shardBytes] as [String: Any] },
            ])
            return
        }
        try ResultOutput.print(
            "\(manifest.totalSamples) samples in \(manifest.shards.count) shards (\(bytes) bytes, largest \(manifest.largestShardBytes)) written to \(output)"
        )
        for sample in oversized {
            try ResultOutput.print(
                "note: \(sample.sample) alone exceeds the shard size limit of \(limits.bytes ?? 0) bytes; "
                    + "it has a shard of its own (\(sample.shard), \(sample.shardBytes) bytes)")
        }
    }
}
