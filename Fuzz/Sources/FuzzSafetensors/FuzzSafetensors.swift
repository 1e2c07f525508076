import Checkpoints

/// libFuzzer entry: safetensors bytes must decode or throw `CheckpointError`, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let (tensors, _) = try Safetensors.decode(bytes, path: "fuzz.safetensors")
        // What decoded must fit in the file: four bytes per element.
        let elements = tensors.reduce(0) { $0 + $1.tensor.scalars.count }
        precondition(elements * 4 <= size, "decoded \(elements) elements from \(size) bytes")
    } catch {
        _ = error.description
    }
    return 0
}
