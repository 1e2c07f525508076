import Shards
import SystemIO
import Tensors

/// libFuzzer entry: manifest JSON must decode and validate or throw `DataError`, never trap; a
/// manifest that decodes holds only plain, unique shard names and no negative counts, and what
/// its readers compute from it (`ShardedDataset`: the total sample count, the largest shard, the
/// element count of one sample) must not trap either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let manifest = try ShardManifest.decode(bytes, path: "manifest.json")
        for shard in manifest.shards {
            precondition(!shard.name.isEmpty && !shard.name.contains("/") && !shard.name.hasPrefix("."), "unsafe name passed")
            precondition(shard.samples >= 0 && shard.bytes >= 0, "negative count passed")
        }
        _ = manifest.totalSamples
        _ = manifest.largestShardBytes
        _ = Tensor.elementCount(of: manifest.sampleShape)
        _ = manifest.encoded()
    } catch {
        _ = error.description
    }
    return 0
}
