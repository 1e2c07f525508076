import DataPipeline
import SystemIO
import Tensors

extension ShardedDataset {
    /// Shard `index` of a uint8 pack, staged at `path`: mapped, validated against the manifest,
    /// and every sample converted into the chunk's features (`v / 255`, then the normalisation).
    func loadDecodedChunk(at index: Int, path: String) throws -> SampleChunk {
        let file = try MappedFile(path: path)
        let layout = try ShardFormat.decodedLayout(of: file, classCount: manifest.classNames.count)
        let count = layout.labels.count
        guard count == manifest.shards[index].samples, layout.sampleBytes == manifest.sampleBytes else {
            throw DataError(
                .corrupt, path: path, byteOffset: 8,
                reason: "the shard holds \(count) samples of \(layout.sampleBytes) bytes, "
                    + "the manifest says \(manifest.shards[index].samples) of \(manifest.sampleBytes)",
                fix: "the shard does not belong to this manifest or is damaged: pack the dataset again")
        }
        let shape = sampleShape
        let (means, inverses) = normalization?.parameters(groups: shape[0]) ?? ([], [])
        let width = layout.sampleBytes
        var failure: DataError?
        let features = Tensor(
            shape: [count] + shape,
            unsafeUninitialized: { out in
                means.withUnsafeBufferPointer { means in
                    inverses.withUnsafeBufferPointer { inverses in
                        for row in 0..<count {
                            let slot = UnsafeMutableBufferPointer(rebasing: out[(row * width)..<((row + 1) * width)])
                            do throws(DataError) {
                                try file.writeUnitScaled(
                                    from: layout.range(of: row).lowerBound, channels: shape[0], plane: shape[1] * shape[2],
                                    means: means.isEmpty ? nil : means.baseAddress, inverses: inverses.baseAddress, into: slot)
                            } catch {
                                failure = failure ?? error
                                slot.update(repeating: 0)
                            }
                        }
                    }
                }
            })
        if let failure { throw failure }
        return SampleChunk(index: index, features: features, labels: layout.labels, path: manifest.shards[index].name, lines: Array(0..<count))
    }
}
