import SystemIO

/// Sample format 2: uint8 pixels (`millrace pack --decoded`), one fixed sample size per pack.
/// Little-endian:
///
///     magic "MRSHARD1"                                            8 bytes
///     sample count N, sample format 2, sample bytes S, pixel offset P   4 x UInt32
///     labels: N x Int32
///     zero bytes up to P, the first multiple of 4096 at or after 24 + 4N
///     pixels: N x S bytes, sample i at P + i * S, channels first ([channels, height, width])
///
/// The file's size is exactly P + N * S: a reader maps it and reads a sample at its offset, with
/// nothing to decode. The pixels start on a page (4096 bytes), so pages hold whole runs of
/// consecutive samples for a page-aware order.
extension ShardFormat {
    /// The alignment of a uint8 shard's pixels, and the page of the page-aware order: a fixed
    /// 4096 bytes (not the machine's page size), so that layouts and orders are the same on every
    /// machine.
    public static let pageBytes = 4096

    /// The byte a uint8 shard of `count` samples starts its pixels at: the header and the labels
    /// rounded up to a page.
    public static func pixelOffset(count: Int) -> Int {
        (headerSize + 4 * count + pageBytes - 1) / pageBytes * pageBytes
    }

    /// The size of a uint8 shard of `count` samples of `sampleBytes` each, or nil when it does
    /// not fit in `Int` (or a count is negative).
    public static func decodedFileSize(count: Int, sampleBytes: Int) -> Int? {
        guard count >= 0, sampleBytes >= 0, count <= Int.max / 8 else { return nil }
        let (pixels, overflow) = count.multipliedReportingOverflow(by: sampleBytes)
        let (size, beyond) = pixelOffset(count: count).addingReportingOverflow(pixels)
        return overflow || beyond ? nil : size
    }

    /// Encodes uint8 samples (`pixels[i]`, each `sampleBytes` long, with `labels[i]`) as one shard.
    public static func encode(pixels: [[UInt8]], labels: [Int], sampleBytes: Int) -> [UInt8] {
        precondition(pixels.allSatisfy { $0.count == sampleBytes }, "every uint8 sample has sampleBytes bytes")
        let offset = pixelOffset(count: pixels.count)
        var bytes = magic
        bytes.reserveCapacity(offset + pixels.count * sampleBytes)
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append32(UInt32(pixels.count))
        append32(SampleFormat.uint8.code)
        append32(UInt32(sampleBytes))
        append32(UInt32(offset))
        for label in labels { withUnsafeBytes(of: Int32(label).littleEndian) { bytes += $0 } }
        bytes += [UInt8](repeating: 0, count: offset - bytes.count)
        for sample in pixels { bytes += sample }
        return bytes
    }

    /// Where a uint8 shard's samples lie, with their labels.
    public struct DecodedLayout: Sendable, Equatable {
        /// The bytes of one sample.
        public var sampleBytes: Int
        /// The offset of sample 0's pixels.
        public var pixelOffset: Int
        /// Each sample's label.
        public var labels: [Int]

        /// The bytes of sample `index`.
        public func range(of index: Int) -> Range<Int> {
            (pixelOffset + index * sampleBytes)..<(pixelOffset + (index + 1) * sampleBytes)
        }
    }

    /// Reads and validates a uint8 shard's header and labels from `head` (the file's first bytes:
    /// at least its header and labels) for a file of `fileSize` bytes: the magic, format 2, the
    /// pixel offset of the count, the size `P + N * S` exactly, and every label against
    /// `classCount` (see `index`). Each problem names the byte it was found at.
    public static func decodedLayout(_ head: UnsafeRawBufferPointer, fileSize: Int, path: String, classCount: Int?) throws(DataError)
        -> DecodedLayout
    {
        func corrupt(_ reason: String, _ offset: Int) -> DataError { damaged(path: path, reason: reason, at: offset) }
        guard head.count >= headerSize, Array(head[0..<8]) == magic else {
            throw corrupt(
                fileSize < headerSize
                    ? "the file has \(fileSize) bytes, less than a shard's \(headerSize)-byte header"
                    : "not a Millrace shard (no MRSHARD1 magic)", 0)
        }
        func word(_ at: Int) -> UInt32 { UInt32(littleEndian: head.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        let count = Int(word(8))
        guard word(12) == SampleFormat.uint8.code else { throw corrupt("sample format \(word(12)) is not 2 (uint8 pixels)", 12) }
        let sampleBytes = Int(word(16))
        let offset = Int(word(20))
        guard offset == pixelOffset(count: count) else {
            throw corrupt("the pixels start at byte \(offset), but \(count) samples put them at \(pixelOffset(count: count))", 20)
        }
        let expected = decodedFileSize(count: count, sampleBytes: sampleBytes)
        guard let expected, expected == fileSize else {
            let need = expected.map { "\($0) bytes" } ?? "more bytes than a file can hold"
            throw DataError(
                fileSize < (expected ?? .max) ? .truncated : .corrupt, path: path, byteOffset: min(fileSize, expected ?? fileSize),
                reason:
                    "the file has \(fileSize) bytes, but its header's \(count) samples of \(sampleBytes) bytes need \(need) "
                    + "(\(offset) bytes of header and labels, then the pixels)",
                fix: "the shard is truncated or damaged: pack the dataset again or fetch the shard again")
        }
        guard head.count >= headerSize + 4 * count else { throw corrupt("the labels of \(count) samples do not fit in \(head.count) bytes", 8) }
        var labels: [Int] = []
        labels.reserveCapacity(count)
        for index in 0..<count {
            let at = headerSize + 4 * index
            let label = Int(Int32(bitPattern: word(at)))
            try check(label: label, ofSample: index, at: at, classCount: classCount, path: path)
            labels.append(label)
        }
        return DecodedLayout(sampleBytes: sampleBytes, pixelOffset: offset, labels: labels)
    }

    /// Validates the uint8 shard mapped in `file` (as `decodedLayout` does), reading its header and
    /// labels through the mapping's guard (a file truncated meanwhile is an error, not SIGBUS).
    public static func decodedLayout(of file: MappedFile, classCount: Int?) throws(DataError) -> DecodedLayout {
        let header = try file.copiedBytes(from: 0, count: min(headerSize, file.size))
        // The header and labels, never more than the file holds (a count too large for the file is
        // reported by the size check).
        let count = header.count == headerSize ? Int(header[8]) | Int(header[9]) << 8 | Int(header[10]) << 16 | Int(header[11]) << 24 : 0
        let head = header.count == headerSize ? try file.copiedBytes(from: 0, count: min(file.size, headerSize + 4 * count)) : header
        return try decodedLayout(head, fileSize: file.size, path: file.path, classCount: classCount)
    }

    /// `decodedLayout(_:fileSize:path:classCount:)` of bytes in an array.
    static func decodedLayout(_ head: [UInt8], fileSize: Int, path: String, classCount: Int?) throws(DataError) -> DecodedLayout {
        try head.withUnsafeBytes { raw in
            Result { () throws(DataError) in try decodedLayout(raw, fileSize: fileSize, path: path, classCount: classCount) }
        }.get()
    }
}
