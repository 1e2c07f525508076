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
        /// Bytes of payload per shard.
        public var bytes: Int?
        /// Samples per shard.
        public var samples: Int?

        /// Limits; at least one should be set (default: 64 MiB).
        public init(bytes: Int? = nil, samples: Int? = nil) {
            self.bytes = bytes ?? (samples == nil ? 64 << 20 : nil)
            self.samples = samples
        }
    }

    /// Packs an image folder, keeping PNG bytes (or, with `decoded`, float pixels), in a seeded
    /// random order (nil keeps the folder's class-sorted order).
    public static func pack(images: ImageFolder, output: String, limits: Limits, decoded: Bool = false, shuffleSeed: UInt64? = 0) throws
        -> ShardManifest
    {
        let order =
            shuffleSeed.map { seed -> [Int] in
                var generator = RandomGenerator(seed: seed, stream: [0x9AC])
                return generator.permutation(images.count)
            } ?? Array(0..<images.count)
        let width = Tensor.elementCount(of: images.sampleShape)
        let scratch = WorkerScratch()
        return try write(
            output: output, count: order.count, limits: limits, format: decoded ? .float32 : .png,
            featureCount: decoded ? width : 0, sampleShape: images.sampleShape, channels: images.options.channels.rawValue,
            classNames: images.classNames
        ) { position in
            let index = order[position]
            if decoded {
                var values = [Float](repeating: 0, count: width)
                let label = try values.withUnsafeMutableBufferPointer { try images.load(index, into: $0, scratch: scratch) }
                return (floatBytes(values), label)
            }
            return (try FileBytes.contents(of: images.paths[index]), images.labels[index])
        }
    }

    /// Packs a CSV file's rows as float records, in file order.
    public static func pack(csv path: String, options: CSVOptions, output: String, limits: Limits) throws -> ShardManifest {
        let reader = try CSVReader(path: path, options: options)
        var rows: [[Float]] = []
        var labels: [Int] = []
        var featureCount = 0
        while let chunk = try reader.next() {
            featureCount = chunk.features.shape[1]
            for row in 0..<chunk.count {
                rows.append(Array(chunk.features.scalars[(row * featureCount)..<((row + 1) * featureCount)]))
                labels.append(chunk.labels[row])
            }
        }
        return try write(
            output: output, count: rows.count, limits: limits, format: .float32, featureCount: featureCount,
            sampleShape: [featureCount], channels: nil, classNames: reader.classNames
        ) { (floatBytes(rows[$0]), labels[$0]) }
    }

    private static func floatBytes(_ values: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    private static func write(
        output: String, count: Int, limits: Limits, format: ShardFormat.SampleFormat, featureCount: Int,
        sampleShape: [Int], channels: String?, classNames: [String],
        sample: (Int) throws -> ([UInt8], Int)
    ) throws -> ShardManifest {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var shards: [ShardManifest.Shard] = []
        var payloads: [[UInt8]] = []
        var labels: [Int] = []
        var size = 0
        func flush() throws {
            guard !payloads.isEmpty else { return }
            let name = String(format: "shard-%05d.mrshard", shards.count)
            let bytes = ShardFormat.encode(payloads: payloads, labels: labels, format: format, featureCount: featureCount)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(output)/\(name)"), options: .atomic)
            shards.append(ShardManifest.Shard(name: name, samples: payloads.count, bytes: bytes.count, crc32: CRC32.checksum(bytes)))
            payloads = []
            labels = []
            size = 0
        }
        for position in 0..<count {
            let (payload, label) = try sample(position)
            payloads.append(payload)
            labels.append(label)
            size += payload.count
            if let bytes = limits.bytes, size >= bytes { try flush() }
            if let samples = limits.samples, payloads.count >= samples { try flush() }
        }
        try flush()
        let manifest = ShardManifest(sampleFormat: format, sampleShape: sampleShape, channels: channels, classNames: classNames, shards: shards)
        try Data(manifest.encoded()).write(to: URL(fileURLWithPath: "\(output)/manifest.json"), options: .atomic)
        return manifest
    }
}
