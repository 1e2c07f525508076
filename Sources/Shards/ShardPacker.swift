import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TabularFormats
import Tensors

/// Cuts a dataset into shard files plus a manifest (`millrace pack`).
public enum ShardPacker {
    /// When a shard is full.
    public struct Limits: Sendable {
        /// The largest shard file in bytes, header and index included: no shard exceeds it, except
        /// a single sample too large for it, which gets a shard of its own (see `OversizedSample`).
        public var bytes: Int?
        /// Samples per shard.
        public var samples: Int?

        /// Limits; at least one should be set (default: 64 MiB).
        public init(bytes: Int? = nil, samples: Int? = nil) {
            self.bytes = bytes ?? (samples == nil ? 64 << 20 : nil)
            self.samples = samples
        }
    }

    /// A sample whose shard alone (header, one index entry and its payload) exceeds the byte
    /// limit: it was written to a shard of its own, the only shards larger than the limit.
    public struct OversizedSample: Sendable, Equatable {
        /// The sample: an image's path or a CSV file's `file:row`.
        public var sample: String
        /// The size of its shard file in bytes.
        public var shardBytes: Int
        /// The shard's file name.
        public var shard: String
    }

    /// Throws when `output` is the input at `source`, lies inside it or contains it (symbolic
    /// links and `..` resolved): a pack inside an image folder would be walked as data next time.
    /// `pack` checks this itself; call it to refuse before opening the input.
    public static func checkOutput(_ output: String, source: String) throws(DataError) {
        try PackOutput.checkPlacement(output: output, source: source)
    }

    /// How `pack(images:)` stores each image.
    public enum ImageStorage: Sendable {
        /// The image file (PNG or JPEG) as it was (decoded as shards are read).
        case png
        /// Decoded 8-bit pixels, channels first (`pack --decoded`): read through `mmap` with no
        /// decoding. An image whose samples have more than 8 bits is rounded to the nearest 8-bit value.
        case uint8
        /// Decoded Float32 values in [0, 1] (what `pack --decoded` wrote before uint8 packs).
        case float32
    }

    /// Packs an image folder, keeping the image files' bytes or decoded pixels (`storage`), in a seeded random
    /// order (nil keeps the folder's class-sorted order). `oversized` hears of each sample too
    /// large for the byte limit (it gets a shard of its own). Decoded images are stored without
    /// normalisation: a folder whose options normalise is refused.
    public static func pack(
        images: ImageFolder, output: String, limits: Limits, storage: ImageStorage = .png, shuffleSeed: UInt64? = 0,
        oversized: (OversizedSample) -> Void = { _ in }
    ) throws -> ShardManifest {
        if storage != .png, images.options.normalization != nil {
            throw DataError(
                .invalidOption, path: images.root, reason: "decoded pixels are packed as read, without normalisation",
                fix: "open the folder without a normalisation; training applies it as the pack is read")
        }
        let order =
            shuffleSeed.map { seed -> [Int] in
                var generator = RandomGenerator(seed: seed, stream: [0x9AC])
                return generator.permutation(images.count)
            } ?? Array(0..<images.count)
        let width = Tensor.elementCount(of: images.sampleShape)
        let scratch = WorkerScratch()
        let name = { (position: Int) in images.paths[order[position]] }
        let format: ShardFormat.SampleFormat =
            switch storage {
            case .png: .png
            case .uint8: .uint8
            case .float32: .float32
            }
        var values = [Float](repeating: 0, count: width)
        return try write(
            source: images.root, output: output, count: order.count, limits: limits, format: format,
            featureCount: storage == .png ? 0 : width, sampleShape: images.sampleShape, channels: images.options.channels.rawValue,
            classNames: images.classNames, name: name, oversized: oversized
        ) { position in
            let index = order[position]
            guard storage != .png else { return (try FileBytes.contents(of: images.paths[index]), images.labels[index]) }
            let label = try values.withUnsafeMutableBufferPointer { try images.load(index, into: $0, scratch: scratch) }
            // Values in [0, 1]: an 8-bit image's v / 255 rounds back to v exactly.
            return (storage == .uint8 ? values.map { UInt8(min(max(($0 * 255).rounded(), 0), 255)) } : floatBytes(values), label)
        }
    }

    /// Packs a CSV file's rows as float records, in file order (`oversized` as for images).
    public static func pack(
        csv path: String, options: CSVOptions, output: String, limits: Limits, oversized: (OversizedSample) -> Void = { _ in }
    ) throws -> ShardManifest {
        // Checked before the (possibly long) read of the whole file; checked again before writing.
        _ = try PackOutput.check(output: output, source: path)
        let reader = try CSVReader(path: path, options: options)
        var rows: [[Float]] = []
        var labels: [Int] = []
        var lines: [Int] = []
        var featureCount = 0
        while let chunk = try reader.next() {
            featureCount = chunk.features.shape[1]
            let values = chunk.features.scalars
            for row in 0..<chunk.count {
                rows.append(Array(values[(row * featureCount)..<((row + 1) * featureCount)]))
                labels.append(chunk.labels[row])
                lines.append(chunk.lines[row])
            }
        }
        let name = { (position: Int) in "\(path):\(lines[position])" }
        return try write(
            source: path, output: output, count: rows.count, limits: limits, format: .float32, featureCount: featureCount,
            sampleShape: [featureCount], channels: nil, classNames: reader.classNames, name: name, oversized: oversized
        ) { (floatBytes(rows[$0]), labels[$0]) }
    }

    private static func floatBytes(_ values: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    private static func write(
        source: String, output: String, count: Int, limits: Limits, format: ShardFormat.SampleFormat, featureCount: Int,
        sampleShape: [Int], channels: String?, classNames: [String], name: (Int) -> String,
        oversized: (OversizedSample) -> Void, sample: (Int) throws -> ([UInt8], Int)
    ) throws -> ShardManifest {
        let previous = try PackOutput.check(output: output, source: source)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var shards: [ShardManifest.Shard] = []
        var payloads: [[UInt8]] = []
        var labels: [Int] = []
        var payloadBytes = 0  // the payloads of the shard so far
        func flush() throws {
            guard !payloads.isEmpty else { return }
            let name = String(format: "shard-%05d.mrshard", shards.count)
            let bytes = ShardFormat.encode(payloads: payloads, labels: labels, format: format, featureCount: featureCount)
            try AtomicFile.write(bytes, to: "\(output)/\(name)", what: "the shard")
            shards.append(ShardManifest.Shard(name: name, samples: payloads.count, bytes: bytes.count, crc32: CRC32.checksum(bytes)))
            payloads = []
            labels = []
            payloadBytes = 0
        }
        for position in 0..<count {
            let (payload, label) = try sample(position)
            // Close the shard first if this sample would take it past the limit.
            if let bytes = limits.bytes, !payloads.isEmpty,
                ShardFormat.fileSize(format: format, count: payloads.count + 1, payloadBytes: payloadBytes + payload.count) > bytes
            {
                try flush()
            }
            payloads.append(payload)
            labels.append(label)
            payloadBytes += payload.count
            let size = ShardFormat.fileSize(format: format, count: payloads.count, payloadBytes: payloadBytes)
            if let bytes = limits.bytes, payloads.count == 1, size > bytes {
                oversized(
                    OversizedSample(
                        sample: name(position), shardBytes: size,
                        shard: String(format: "shard-%05d.mrshard", shards.count)))
                try flush()
            }
            if let samples = limits.samples, payloads.count >= samples { try flush() }
        }
        try flush()
        var manifest = ShardManifest(
            sampleFormat: format, sampleShape: sampleShape, channels: channels, classNames: classNames, shards: shards,
            source: PathOverlap.resolved(source))
        if format == .uint8 { manifest.formatVersion = ShardManifest.decodedFormatVersion }
        // Written to a temporary file and renamed: a reader sees the old manifest or the new one.
        try AtomicFile.write(manifest.encoded(), to: "\(output)/manifest.json", what: "the manifest")
        PackOutput.removeShards(of: previous, keeping: manifest, in: output)
        return manifest
    }
}
