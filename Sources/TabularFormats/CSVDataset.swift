import DataPipeline
import Foundation
import SystemIO
import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A CSV file as a `ChunkedDataset`: chunk `k` can be read without reading chunks `0..<k`, so a
/// file of any size streams into training with only the shuffle window's chunks in memory.
///
/// Opening makes one streaming pass (parallel, bounded memory) that validates every row under
/// the bad-input policy and records each chunk's byte range, first line and row count, the
/// class names, the categorical columns' categories and the numeric columns' fill values (the
/// mean of the counted rows under `MissingValuePolicy.mean`). `chunk(at:)` then reads just that
/// byte range and parses it with those categories and fill values fixed, each category index
/// widened to a one-hot block (`featureNames` names every value). For gzip input a
/// chunk is reached by decompressing from the start (gzip has no random access); pack such data
/// into shards instead.
public struct CSVDataset: ChunkedDataset {
    /// Where one chunk lies in the file.
    public struct ChunkExtent: Sendable, Equatable, Codable {
        /// The byte offset of the chunk's first row (in the decompressed stream).
        public var byteOffset: Int
        /// The chunk's length in bytes.
        public var byteCount: Int
        /// The line the chunk starts on.
        public var firstLine: Int
        /// The number of rows (good rows, under a skipping policy).
        public var rowCount: Int
    }

    /// The file.
    public let path: String
    /// The options (`threads` applies to the opening pass).
    public let options: CSVOptions
    /// The names of each row's values: a numeric column's name, `column=category` for a
    /// category's one-hot value, `column=(unknown)` for the unknown category's.
    public let featureNames: [String]
    /// The categorical columns' categories (given, or from the counted rows in order of first
    /// appearance), in `options.categoricalColumns` order.
    public let categories: [CSVCategories]
    /// The fill value of every numeric feature column whose empty fields are filled.
    public let fillValues: [CSVFill]
    /// The class names.
    public let classNames: [String]
    /// Every chunk's extent, in file order.
    public let chunks: [ChunkExtent]
    /// Rows skipped under the `.skip` policy during the opening pass.
    public let quarantined: [QuarantineEntry]
    /// Whether the file is gzip-compressed.
    public let isCompressed: Bool
    /// The normalization applied to every row's values as chunks are read (one value for all,
    /// or one per value of `featureNames`).
    public private(set) var normalization: Normalization?

    /// Chunks of a gzip file are cheap only in file order: the pipeline reads them that way.
    public var prefersSequentialChunks: Bool { isCompressed }

    private let parser: CSVChunkParser
    private let encoding: CSVOneHotEncoding
    private let cursor = GzipCursor()
    private let labelIndices: [String: Int]

    /// Opens and indexes `path`; `normalization` is applied to the features of every chunk read.
    /// `countingRows` picks the rows (by number among the good rows, from 0) whose categories and
    /// values make the categories and mean fills (the training side of a split); nil: every row.
    public init(
        path: String, options: CSVOptions = CSVOptions(), normalization: Normalization? = nil, countingRows: ((Int) -> Bool)? = nil
    ) throws(DataError) {
        let reader = try CSVReader(path: path, options: options, countingRows: countingRows)
        var chunks: [ChunkExtent] = []
        while let chunk = try reader.next() {
            chunks.append(ChunkExtent(byteOffset: chunk.byteOffset, byteCount: chunk.byteCount, firstLine: chunk.firstLine, rowCount: chunk.count))
        }
        self.path = path
        self.options = options
        self.normalization = normalization
        classNames = reader.classNames
        self.chunks = chunks
        quarantined = reader.quarantine.entries
        isCompressed = try ByteStream(path: path).isCompressed
        categories = reader.categories
        fillValues = try reader.fillValues()
        // Chunks are read with the categories and fill values fixed, as by a reader given them.
        var fixed = options
        fixed.categories = Dictionary(categories.map { (.name($0.column), $0.values) }, uniquingKeysWith: { first, _ in first })
        fixed.fillValues = Dictionary(fillValues.map { (.name($0.column), $0.value) }, uniquingKeysWith: { first, _ in first })
        let layout = try CSVLayout(columnNames: reader.columnNames, options: fixed, path: path)
        parser = CSVChunkParser(layout: layout, options: fixed, path: path)
        encoding = CSVOneHotEncoding(layout: layout, categories: categories.map(\.values))
        featureNames = encoding.names
        labelIndices = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
    }

    /// The number of chunks.
    public var chunkCount: Int { chunks.count }

    /// `[features]`.
    public var sampleShape: [Int] { [featureNames.count] }

    /// The dataset with `normalization` applied to every row's values as chunks are read.
    public func normalized(by normalization: Normalization?) -> CSVDataset {
        var dataset = self
        dataset.normalization = normalization
        return dataset
    }

    /// A normalisation of the numeric feature columns (one mean and deviation for all, or one
    /// per numeric feature column in order, categorical and target columns left out) widened to
    /// each row's values: one-hot values and the last `targetCount` values (regression targets)
    /// are left as they are. A list of another length is an error naming both counts.
    public func rowNormalization(ofNumericFeatures normalization: Normalization, targetCount: Int) throws(DataError) -> Normalization {
        let scaled = (0..<featureNames.count).filter { !encoding.isOneHot[$0] && $0 < featureNames.count - targetCount }
        func widened(_ values: [Float], identity: Float, what: String) throws(DataError) -> [Float] {
            guard values.count == 1 || values.count == scaled.count else {
                throw DataError(
                    .invalidOption, path: path,
                    reason: "the normalisation gives \(values.count) \(what) values, but the file has \(scaled.count) numeric feature columns",
                    fix: "give one value, or one per numeric feature column in order (categorical and target columns left out)")
            }
            var row = [Float](repeating: identity, count: featureNames.count)
            for (index, position) in scaled.enumerated() { row[position] = values.count == 1 ? values[0] : values[index] }
            return row
        }
        return Normalization(
            mean: try widened(normalization.mean, identity: 0, what: "mean"),
            standardDeviation: try widened(normalization.standardDeviation, identity: 1, what: "standard deviation"))
    }

    /// The number of rows in chunk `index`.
    public func sampleCount(ofChunk index: Int) -> Int { chunks[index].rowCount }

    /// Chunk `index`'s rows (normalized, if asked) with their labels and lines.
    public func loadChunk(at index: Int) throws -> SampleChunk {
        sampleChunk(try csvChunk(at: index))
    }

    /// The chunk as samples, normalized in place: the chunk is consumed, so its features are the
    /// only reference to their storage and are not copied.
    private func sampleChunk(_ chunk: consuming CSVChunk) -> SampleChunk {
        if let normalization {
            let shape = sampleShape
            chunk.features.withUnsafeMutableBufferPointer { normalization.apply(toBatch: $0, sampleShape: shape) }
        }
        return SampleChunk(index: chunk.index, features: chunk.features, labels: chunk.labels, path: path, lines: chunk.lines)
    }

    /// Chunk `index` with its features as one tensor `[rows, features]`. Rows that the opening
    /// pass skipped are skipped again, without being recorded twice.
    public func csvChunk(at index: Int) throws(DataError) -> CSVChunk {
        try csvChunk(at: index, keepingRows: nil)
    }

    /// Chunk `index`'s rows that `keep` accepts (by row number in the chunk). When the opening
    /// pass found no bad row, the other rows are only scanned past, not parsed: a split reads
    /// each side's rows at the cost of that side.
    public func loadChunk(at index: Int, keepingRows keep: @escaping @Sendable (Int) -> Bool) throws -> SampleChunk {
        guard quarantined.isEmpty else {
            let chunk = try loadChunk(at: index)
            return chunk.selecting(rows: (0..<chunk.count).filter(keep))
        }
        return sampleChunk(try csvChunk(at: index, keepingRows: keep))
    }

    private func csvChunk(at index: Int, keepingRows keep: ((Int) -> Bool)?) throws(DataError) -> CSVChunk {
        let extent = chunks[index]
        let bytes = try readBytes(extent)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            parser.parse(buffer, firstLine: extent.firstLine, byteOffset: extent.byteOffset, keep: keep)
        }
        if let fatal = parsed.fatal { throw fatal }
        if case .fail = options.badInput, let first = parsed.badRows.first { throw first }
        var labels = parsed.labels
        if case .firstAppearance = options.labelMapping {
            for row in labels.indices { labels[row] = labelIndices[parsed.localLabels[labels[row]]] ?? -1 }
        }
        return CSVChunk(
            index: index, byteOffset: extent.byteOffset, byteCount: extent.byteCount, firstLine: extent.firstLine,
            features: Tensor(shape: [parsed.rowCount, featureNames.count], scalars: encoding.expand(parsed.features, rows: parsed.rowCount)),
            labels: labels, lines: parsed.lines, path: path)
    }

    private func readBytes(_ extent: ChunkExtent) throws(DataError) -> [UInt8] {
        if isCompressed {
            return try cursor.read(extent, path: path, changed: changed(extent))
        }
        let descriptor = try FileBytes.openRegularFile(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: extent.byteCount)
        var filled = 0
        while filled < extent.byteCount {
            let got = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + filled, extent.byteCount - filled, off_t(extent.byteOffset + filled))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw changed(extent) }
            filled += got
        }
        return bytes
    }

    private func changed(_ extent: ChunkExtent) -> DataError {
        DataError(
            .truncated, path: path, line: extent.firstLine, byteOffset: extent.byteOffset,
            reason: "the file is shorter than when it was indexed", fix: "the file changed since it was opened: open it again")
    }
}

/// The decompressing reader of a gzip file, kept between chunk reads: a chunk at or after the
/// last one read continues the stream, so chunks read in file order cost one pass over the file;
/// an earlier chunk starts again from the beginning (gzip has no random access).
final class GzipCursor: @unchecked Sendable {
    private let lock = NSLock()
    private var stream: ByteStream?
    private var position = 0

    func read(_ extent: CSVDataset.ChunkExtent, path: String, changed: DataError) throws(DataError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try readLocked(extent, path: path, changed: changed)
        } catch {
            stream = nil  // the position is unknown after a failed read: start again next time
            throw error
        }
    }

    private func readLocked(_ extent: CSVDataset.ChunkExtent, path: String, changed: DataError) throws(DataError) -> [UInt8] {
        if stream == nil || position > extent.byteOffset {
            stream = try ByteStream(path: path)
            position = 0
        }
        guard let stream else { throw changed }
        var scratch = [UInt8](repeating: 0, count: min(1 << 20, max(extent.byteOffset - position, 1)))
        while position < extent.byteOffset {
            let got = try stream.read(into: &scratch, at: 0, count: min(scratch.count, extent.byteOffset - position), offset: position)
            guard got > 0 else { throw changed }
            position += got
        }
        var bytes = [UInt8](repeating: 0, count: extent.byteCount)
        var filled = 0
        while filled < extent.byteCount {
            let got = try stream.read(into: &bytes, at: filled, count: extent.byteCount - filled, offset: extent.byteOffset + filled)
            guard got > 0 else { throw changed }
            filled += got
        }
        position += filled
        return bytes
    }
}
