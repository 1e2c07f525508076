import Shards
import SystemIO

/// libFuzzer entry: shard bytes must index or throw `DataError`, never trap; every entry it
/// returns lies inside the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let index = try ShardFormat.index(bytes, path: "fuzz.mrshard")
        for (range, _) in index.entries {
            precondition(range.lowerBound >= 0 && range.upperBound <= size, "entry \(range) outside \(size) bytes")
            _ = bytes[range].reduce(0, &+)
        }
    } catch {
        _ = error.description
    }
    return 0
}
