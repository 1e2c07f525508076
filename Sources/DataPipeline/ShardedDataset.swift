import Tensors

/// A packed dataset read shard by shard (a shard is a chunk): random access inside a shard,
/// sequential across shards. Shard files come from a `ShardStager` (a local directory or a
/// download cache); a pipeline's windowed order tells the stager what comes next.
public struct ShardedDataset: ChunkedBatchSource {
    /// The manifest.
    public let manifest: ShardManifest
    /// Where shards come from.
    public let stager: ShardStager

    /// A dataset over `stager`'s shards.
    public init(stager: ShardStager) {
        self.stager = stager
        manifest = stager.manifest
    }

    /// The number of shards.
    public var chunkCount: Int { manifest.shards.count }
    /// The class names.
    public var classNames: [String] { manifest.classNames }
    /// The shape of one sample.
    public var sampleShape: [Int] { manifest.sampleShape }
    /// The samples of shard `index`.
    public func sampleCount(ofChunk index: Int) -> Int { manifest.shards[index].samples }

    /// Shard `index` as samples.
    public func chunk(at index: Int) throws -> [Sample] {
        let chunk = try loadChunk(at: index)
        return (0..<chunk.count).map(chunk.sample(at:))
    }

    /// Reads (waiting for it to be staged) and decodes shard `index`.
    public func loadChunk(at index: Int) throws -> CSVChunk {
        let path = try stager.localPath(ofShard: index)
        let bytes = try FileBytes.contents(of: path)
        let (format, featureCount, entries) = try ShardFormat.index(bytes, path: path)
        let width = Tensor.elementCount(of: sampleShape)
        let channels = ChannelMode(rawValue: manifest.channels ?? "rgb") ?? .rgb
        let decoder = PNGDecoder()
        let scratch = DecodeScratch()
        var failure: Error?
        let features = Tensor(shape: [entries.count] + sampleShape, unsafeUninitialized: { out in
            for (row, entry) in entries.enumerated() {
                let slot = UnsafeMutableBufferPointer(rebasing: out[(row * width)..<((row + 1) * width)])
                if format == .float32 {
                    guard featureCount == width else {
                        failure = DataError(.inconsistentShape, path: path, reason: "shard has \(featureCount) features, the manifest says \(width)", fix: "pack again")
                        slot.update(repeating: 0)
                        continue
                    }
                    bytes.withUnsafeBytes { raw in
                        for k in 0..<width {
                            slot[k] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: entry.0.lowerBound + 4 * k, as: UInt32.self)))
                        }
                    }
                } else {
                    do {
                        // Decoded from the shard's bytes in place, into reused buffers.
                        try bytes.withUnsafeBufferPointer { all in
                            try decoder.withDecoded(UnsafeBufferPointer(rebasing: all[entry.0]), path: "\(path)#\(row)", channels: channels,
                                                    scratch: scratch) { header, pixels in
                                guard header.width * header.height * channels.channelCount == width else {
                                    throw DataError(.inconsistentShape, path: "\(path)#\(row)", reason: "image is \(header.width)x\(header.height), the dataset's is \(sampleShape)",
                                                    fix: "pack with a fixed size")
                                }
                                scratch.writeChannelsFirst(pixels, channels: channels.channelCount, plane: header.width * header.height,
                                                           normalization: nil, into: slot)
                            }
                        }
                    } catch {
                        failure = failure ?? error
                        slot.update(repeating: 0)
                    }
                }
            }
        })
        if let failure { throw failure }
        return CSVChunk(index: index, byteOffset: 0, byteCount: bytes.count, firstLine: 0, features: features,
                        labels: entries.map(\.1), lines: Array(0..<entries.count), path: manifest.shards[index].name)
    }
}
