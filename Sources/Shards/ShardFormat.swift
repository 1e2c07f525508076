import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TabularFormats
import Tensors

/// The shard file layout (`.mrshard`), little-endian:
///
///     magic "MRSHARD1"                        8 bytes
///     sample count N, sample format, feature count, reserved   4 x UInt32
///     index: N x (payload offset UInt64, payload length UInt32, label Int32)
///     payloads
///
/// Sample format 0 holds PNG files as they were; 1 holds `feature count` Float32 values. Any
/// sample is read at its offset without scanning the others. Readers validate the header and
/// every index entry against the file's size before allocating.
public enum ShardFormat {
    /// PNG bytes or Float32 records.
    public enum SampleFormat: String, Codable, Sendable {
        /// PNG files, stored as they were.
        case png
        /// `featureCount` Float32 values.
        case float32
    }

    static let magic = Array("MRSHARD1".utf8)
    static let headerSize = 24
    static let entrySize = 16

    /// Encodes samples (`payloads[i]` with `labels[i]`) as one shard.
    public static func encode(payloads: [[UInt8]], labels: [Int], format: SampleFormat, featureCount: Int) -> [UInt8] {
        var bytes = magic
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append32(UInt32(payloads.count))
        append32(format == .png ? 0 : 1)
        append32(UInt32(featureCount))
        append32(0)
        var offset = UInt64(headerSize + entrySize * payloads.count)
        for (payload, label) in zip(payloads, labels) {
            withUnsafeBytes(of: offset.littleEndian) { bytes += $0 }
            append32(UInt32(payload.count))
            withUnsafeBytes(of: Int32(label).littleEndian) { bytes += $0 }
            offset += UInt64(payload.count)
        }
        for payload in payloads { bytes += payload }
        return bytes
    }

    /// The samples of a shard: (payload range, label) per sample, validated against the size.
    public static func index(_ bytes: [UInt8], path: String) throws(DataError) -> (format: SampleFormat, featureCount: Int, entries: [(Range<Int>, Int)]) {
        func corrupt(_ reason: String, _ offset: Int) -> DataError {
            DataError(.corrupt, path: path, byteOffset: offset, reason: reason, fix: "the shard is damaged: pack the dataset again or fetch the shard again")
        }
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { throw corrupt("not a Millrace shard (no MRSHARD1 magic)", 0) }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        let count = Int(word(8)), formatCode = word(12), featureCount = Int(word(16))
        guard formatCode <= 1 else { throw corrupt("unknown sample format \(formatCode)", 12) }
        guard count <= (bytes.count - headerSize) / entrySize else { throw corrupt("index of \(count) entries does not fit in \(bytes.count) bytes", 8) }
        let format: SampleFormat = formatCode == 0 ? .png : .float32
        var entries: [(Range<Int>, Int)] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let at = headerSize + index * entrySize
            let offset = UInt64(word(at)) | UInt64(word(at + 4)) << 32
            let length = Int(word(at + 8)), label = Int(Int32(bitPattern: word(at + 12)))
            guard offset <= UInt64(bytes.count), Int(offset) + length <= bytes.count else {
                throw corrupt("sample \(index) lies outside the file", at)
            }
            if format == .float32 && length != featureCount * 4 { throw corrupt("sample \(index) has \(length) bytes, expected \(featureCount * 4)", at) }
            entries.append((Int(offset)..<(Int(offset) + length), label))
        }
        return (format, featureCount, entries)
    }
}

/// A packed dataset's `manifest.json`.
public struct ShardManifest: Codable, Sendable, Equatable {
    /// One shard.
    public struct Shard: Codable, Sendable, Equatable {
        /// Its file name, relative to the manifest.
        public var name: String
        /// Its samples.
        public var samples: Int
        /// Its size in bytes.
        public var bytes: Int
        /// Its CRC32 (zlib's).
        public var crc32: UInt32
    }

    /// The manifest format version.
    public var formatVersion = 1
    /// How samples are stored.
    public var sampleFormat: ShardFormat.SampleFormat
    /// The shape of one decoded sample (`[channels, height, width]` or `[features]`).
    public var sampleShape: [Int]
    /// Images: `gray`, `rgb` or `rgba`.
    public var channels: String?
    /// The class names.
    public var classNames: [String]
    /// The shards, in order.
    public var shards: [Shard]

    /// All samples.
    public var totalSamples: Int { shards.reduce(0) { $0 + $1.samples } }
    /// The largest shard's size.
    public var largestShardBytes: Int { shards.map(\.bytes).max() ?? 0 }

    /// Decodes a manifest, naming `path` in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(DataError) -> ShardManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(ShardManifest.self, from: Data(bytes)) } catch {
            throw DataError(.corrupt, path: path, reason: "invalid shard manifest: \(error)", fix: "pack the dataset again with millrace pack")
        }
    }

    /// The manifest as JSON.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }
}
