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
/// Sample format 0 holds image files (PNG or JPEG, told apart by their first bytes) as they were; 1 holds `feature count` Float32 values. Any
/// sample is read at its offset without scanning the others. Readers validate the header and
/// every index entry against the file's size before allocating.
///
/// Sample format 2 (uint8 pixels, `pack --decoded`) has no index: every sample has the same size,
/// so the file is a header, the labels and the pixels (see `ShardFormat+Decoded.swift`).
public enum ShardFormat {
    /// Image file bytes, Float32 records or uint8 pixels.
    public enum SampleFormat: String, Codable, Sendable {
        /// Image files (PNG or JPEG), stored as they were (the name predates JPEG support).
        case png
        /// `featureCount` Float32 values.
        case float32
        /// `featureCount` bytes: an image's pixels, channels first, one fixed size per pack.
        case uint8

        /// The code in a shard's header.
        var code: UInt32 {
            switch self {
            case .png: 0
            case .float32: 1
            case .uint8: 2
            }
        }
    }

    static let magic = Array("MRSHARD1".utf8)
    static let headerSize = 24
    static let entrySize = 16

    /// The size of a shard of `count` samples whose payloads add up to `payloadBytes`.
    static func fileSize(format: SampleFormat, count: Int, payloadBytes: Int) -> Int {
        format == .uint8 ? pixelOffset(count: count) + payloadBytes : headerSize + entrySize * count + payloadBytes
    }

    /// Encodes samples (`payloads[i]` with `labels[i]`) as one shard.
    /// Format `.uint8` is written by `encode(pixels:labels:sampleBytes:)`: given here, its
    /// payloads are written that way (each `featureCount` bytes).
    public static func encode(payloads: [[UInt8]], labels: [Int], format: SampleFormat, featureCount: Int) -> [UInt8] {
        if format == .uint8 { return encode(pixels: payloads, labels: labels, sampleBytes: featureCount) }
        var bytes = magic
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append32(UInt32(payloads.count))
        append32(format.code)
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

    /// The samples of a shard: (payload range, label) per sample, validated against the size
    /// and, given the manifest's `classCount`, every label against its classes (`0..<classCount`;
    /// -1, unlabelled, when the manifest has none).
    public static func index(_ bytes: [UInt8], path: String, classCount: Int? = nil) throws(DataError) -> (
        format: SampleFormat, featureCount: Int, entries: [(Range<Int>, Int)]
    ) {
        func corrupt(_ reason: String, _ offset: Int) -> DataError { damaged(path: path, reason: reason, at: offset) }
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else { throw corrupt("not a Millrace shard (no MRSHARD1 magic)", 0) }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        let count = Int(word(8))
        let formatCode = word(12)
        let featureCount = Int(word(16))
        guard formatCode <= 2 else { throw corrupt("unknown sample format \(formatCode)", 12) }
        if formatCode == SampleFormat.uint8.code {
            let layout = try decodedLayout(bytes, fileSize: bytes.count, path: path, classCount: classCount)
            let entries = layout.labels.enumerated().map { sample, label in (layout.range(of: sample), label) }
            return (.uint8, layout.sampleBytes, entries)
        }
        guard count <= (bytes.count - headerSize) / entrySize else {
            throw corrupt("index of \(count) entries does not fit in \(bytes.count) bytes", 8)
        }
        let format: SampleFormat = formatCode == 0 ? .png : .float32
        var entries: [(Range<Int>, Int)] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let at = headerSize + index * entrySize
            let offset = UInt64(word(at)) | UInt64(word(at + 4)) << 32
            let length = Int(word(at + 8))
            let label = Int(Int32(bitPattern: word(at + 12)))
            guard offset <= UInt64(bytes.count), Int(offset) + length <= bytes.count else {
                throw corrupt("sample \(index) lies outside the file", at)
            }
            if format == .float32 && length != featureCount * 4 {
                throw corrupt("sample \(index) has \(length) bytes, expected \(featureCount * 4)", at)
            }
            try check(label: label, ofSample: index, at: at + 12, classCount: classCount, path: path)
            entries.append((Int(offset)..<(Int(offset) + length), label))
        }
        return (format, featureCount, entries)
    }

    /// Throws unless `label` (of sample `index`, stored at byte `offset`) is one of the manifest's
    /// `classCount` classes (-1, unlabelled, when it has none); nothing is checked without a count.
    static func check(label: Int, ofSample index: Int, at offset: Int, classCount: Int?, path: String) throws(DataError) {
        guard let classCount, classCount > 0 ? !(0..<classCount).contains(label) : label != -1 else { return }
        throw DataError(
            .corrupt, path: path, byteOffset: offset,
            reason: classCount > 0
                ? "sample \(index) has label \(label), outside the manifest's \(classCount) classes (0 to \(classCount - 1))"
                : "sample \(index) has label \(label), but the manifest lists no classes (unlabelled samples have -1)",
            fix: "the shard does not belong to this manifest or is damaged: pack the dataset again")
    }

    /// A damaged shard: `reason`, found at byte `offset`.
    static func damaged(path: String, reason: String, at offset: Int) -> DataError {
        DataError(
            .corrupt, path: path, byteOffset: offset, reason: reason, fix: "the shard is damaged: pack the dataset again or fetch the shard again")
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
    /// The packed input's absolute path with links resolved (written by `millrace pack`; nil in
    /// manifests written before it was recorded). A later pack of the same input may replace
    /// this pack; any other output folder that is not empty is refused.
    public var source: String? = nil

    /// All samples.
    public var totalSamples: Int { shards.reduce(0) { $0 + $1.samples } }
    /// The largest shard's size.
    public var largestShardBytes: Int { shards.map(\.bytes).max() ?? 0 }

    /// The largest manifest read (64 MiB): a bigger one is refused before it is parsed.
    public static let maximumBytes = 64 << 20

    /// The most elements one sample may have (2^28: an 8192 x 8192 RGBA image, the PNG decoder's
    /// default pixel limit with four channels).
    public static let maximumSampleElements = 1 << 28

    /// The manifest format this version writes for PNG and float32 packs (which earlier versions
    /// read too).
    public static let currentFormatVersion = 1
    /// The manifest format of uint8 packs, which earlier versions refuse by its number.
    public static let decodedFormatVersion = 2

    /// The most samples a packed dataset may claim (2^36): a manifest claiming more is refused
    /// before anything is sized by it.
    public static let maximumTotalSamples = 1 << 36

    /// Decodes a manifest, naming `path` in errors. Refuses one over `maximumBytes`, and any
    /// entry whose name is not a plain file name or whose counts are negative (see `validate`).
    public static func decode(_ bytes: [UInt8], path: String) throws(DataError) -> ShardManifest {
        guard bytes.count <= maximumBytes else {
            throw DataError(
                .tooLarge, path: path, reason: "manifest of \(bytes.count) bytes exceeds the limit of \(maximumBytes) bytes",
                fix: "check that the path or URL names a Millrace manifest.json")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let manifest: ShardManifest
        do { manifest = try decoder.decode(ShardManifest.self, from: Data(bytes)) } catch {
            throw DataError(.corrupt, path: path, reason: "invalid shard manifest: \(error)", fix: "pack the dataset again with millrace pack")
        }
        try manifest.validate(path: path)
        return manifest
    }

    /// Checks that every shard name is a plain file name (not empty, no `/`, no NUL, not starting
    /// with `.`, so neither `.` nor `..` nor a hidden or temporary name), that names are unique,
    /// and that sizes and counts are not negative: nothing in a manifest can address a file
    /// outside the directory it is joined to. Also that what readers compute from it cannot
    /// overflow: the sample shape's dimensions are not negative and one sample holds at most
    /// `maximumSampleElements`, and the shards' samples and bytes add up within `Int`. `path`
    /// names the manifest in errors.
    public func validate(path: String) throws(DataError) {
        guard (ShardManifest.currentFormatVersion...ShardManifest.decodedFormatVersion).contains(formatVersion) else {
            throw DataError(
                .corrupt, path: path,
                reason:
                    "format_version \(formatVersion) is not supported (this Millrace reads versions \(ShardManifest.currentFormatVersion) "
                    + "and \(ShardManifest.decodedFormatVersion))",
                fix: "pack the dataset again with this version of millrace pack")
        }
        guard formatVersion == ShardManifest.currentFormatVersion || sampleFormat == .uint8 else {
            throw DataError(
                .corrupt, path: path,
                reason: "format_version \(formatVersion) is for uint8 packs, but sample_format is \(sampleFormat.rawValue) "
                    + "(format_version \(ShardManifest.currentFormatVersion))",
                fix: "use a manifest written by millrace pack; do not trust a manifest from an unknown source")
        }
        guard !shards.isEmpty else {
            throw DataError(.emptyDataset, path: path, reason: "the manifest lists no shards", fix: "pack a dataset that holds samples")
        }
        if let channels, ChannelMode(rawValue: channels) == nil {
            throw DataError(
                .corrupt, path: path, reason: "channels '\(channels)' is not one of \(ChannelMode.allCases.map(\.rawValue).joined(separator: ", "))",
                fix: "use a manifest written by millrace pack")
        }
        var elements = 1
        for dimension in sampleShape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow, product <= ShardManifest.maximumSampleElements else {
                throw DataError(
                    .corrupt, path: path,
                    reason:
                        "sample_shape \(sampleShape) has a negative dimension or more than \(ShardManifest.maximumSampleElements) elements",
                    fix: "use a manifest written by millrace pack; do not trust a manifest from an unknown source")
            }
            elements = product
        }
        var (totalSamples, totalBytes) = (0, 0)
        for shard in shards {
            let samples = totalSamples.addingReportingOverflow(max(shard.samples, 0))
            let bytes = totalBytes.addingReportingOverflow(max(shard.bytes, 0))
            guard !samples.overflow, !bytes.overflow else {
                throw DataError(
                    .corrupt, path: path, reason: "the shards' sample counts or sizes add up to more than \(Int.max)",
                    fix: "use a manifest written by millrace pack; do not trust a manifest from an unknown source")
            }
            (totalSamples, totalBytes) = (samples.partialValue, bytes.partialValue)
        }
        if sampleFormat == .uint8 { try validateDecoded(path: path) }
        var seen = Set<String>()
        let sampleBytes = sampleFormat == .uint8 ? elements : nil
        for (index, shard) in shards.enumerated() {
            if let problem = ShardManifest.problem(with: shard, sampleBytes: sampleBytes, seen: &seen) {
                let shown = String(reflecting: String(shard.name.prefix(80)))
                throw DataError(
                    .corrupt, path: path, reason: "shard entry \(index) (name \(shown)) \(problem)",
                    fix: "use a manifest written by millrace pack; do not trust a manifest from an unknown source")
            }
        }
        guard totalSamples <= ShardManifest.maximumTotalSamples else {
            throw DataError(
                .tooLarge, path: path, reason: "the manifest claims \(totalSamples) samples, more than \(ShardManifest.maximumTotalSamples)",
                fix: "use a manifest written by millrace pack; do not trust a manifest from an unknown source")
        }
    }

    /// What is wrong with `shard`'s entry, with the rule it breaks, or nil. The checks run in
    /// order, and only an entry that passes the name checks is added to `seen` (the names so far)
    /// and checked for a repeat. A uint8 shard (`sampleBytes` given) must have exactly the size
    /// its samples make.
    private static func problem(with shard: Shard, sampleBytes: Int?, seen: inout Set<String>) -> String? {
        let name = shard.name
        let nameProblem: String? =
            if name.isEmpty { "is empty" } else if name.utf8.contains(0x2F) { "contains '/'" } else if name.utf8.contains(0) {
                "contains a NUL byte"
            } else if name.hasPrefix(".") { "starts with '.' (as '.', '..' and hidden or temporary names do)" } else if name.utf8.count > 255 {
                "is longer than 255 bytes"
            } else if !seen.insert(name).inserted { "appears twice" } else { nil }
        if let nameProblem { return "\(nameProblem): shard names must be plain file names, each listed once" }
        if shard.bytes < 0 || shard.samples < 0 { return "has a negative size or sample count" }
        if let sampleBytes {
            let size = ShardFormat.decodedFileSize(count: shard.samples, sampleBytes: sampleBytes)
            guard size == shard.bytes else {
                return "has \(shard.bytes) bytes, but \(shard.samples) uint8 samples of \(sampleBytes) bytes make a shard of "
                    + (size.map { "\($0) bytes" } ?? "more bytes than a file can hold")
            }
            return nil
        }
        // Each sample has a 16-byte index entry after the 24-byte header.
        let indexable = max(0, (shard.bytes - ShardFormat.headerSize) / ShardFormat.entrySize)
        if shard.samples > indexable {
            return "claims \(shard.samples) samples, more than its \(shard.bytes) bytes can index (at most \(indexable): "
                + "a \(ShardFormat.headerSize)-byte header and \(ShardFormat.entrySize) bytes of index per sample)"
        }
        return nil
    }

    /// The manifest as JSON.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }
}
