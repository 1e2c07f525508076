import CMappedIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file mapped read-only into memory (`mmap`, `PROT_READ`, `MAP_PRIVATE`): its bytes are
/// read where the page cache holds them, with no copy into the process.
///
/// A mapping outlives changes to the file's name (a pack written again by rename leaves this
/// mapping on the old file), but not a truncation of the file itself: a page past the new end
/// raises SIGBUS when touched. `copy` and `writeUnitScaled` read under a guard (`CMappedIO`) that
/// turns that SIGBUS into a `DataError` naming the file, the offset and the size the file has now;
/// read `bytes` directly only where such a fault cannot matter (it would end the process).
/// The mapping and the descriptor are released when the value goes. Safe to read from any thread.
public final class MappedFile: @unchecked Sendable {
    /// The file's path, for messages.
    public let path: String
    /// The file's size when it was mapped: the bytes mapped.
    public let size: Int
    private let base: UnsafeRawPointer?
    private let descriptor: Int32

    /// Maps the regular file at `path` (a FIFO, directory or device is refused as `FileBytes`
    /// refuses it). An empty file maps to no bytes.
    public init(path: String) throws(DataError) {
        let descriptor = try FileBytes.openRegularFile(path)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = FileBytes.openError(path)
            close(descriptor)
            throw error
        }
        let size = Int(status.st_size)
        var base: UnsafeRawPointer?
        if size > 0 {
            let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let mapped, mapped != MAP_FAILED else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw DataError(
                    .unreadable, path: path, reason: "cannot map the file into memory: \(reason)",
                    fix: "check that the file is on a local or mounted file system that supports mmap, and the address space limit (ulimit -v)")
            }
            base = UnsafeRawPointer(mapped)
        }
        self.path = path
        self.size = size
        self.base = base
        self.descriptor = descriptor
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        close(descriptor)
    }

    /// The mapped bytes. Touching a page past the end of a file truncated since it was mapped
    /// raises SIGBUS: read through `copy` or `writeUnitScaled` where that can happen.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// The file's size now (`fstat` on the open descriptor), or nil if it cannot be read.
    public var currentSize: Int? {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int(status.st_size) : nil
    }

    /// Copies `destination.count` bytes from `offset`. Throws `.truncated` if the file became
    /// shorter than the range while it was mapped (and `.truncated` for a range outside the mapping).
    public func copy(from offset: Int, into destination: UnsafeMutableRawBufferPointer) throws(DataError) {
        try checkRange(offset, count: destination.count)
        guard destination.count > 0, let base, let target = destination.baseAddress else { return }
        if millrace_mapped_copy(target, base + offset, destination.count) != MILLRACE_MAPPED_OK {
            throw fault(at: offset, count: destination.count)
        }
    }

    /// `count` bytes from `offset` in a new array (read as `copy` reads).
    public func copiedBytes(from offset: Int, count: Int) throws(DataError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        try bytes.withUnsafeMutableBytes { raw in Result { () throws(DataError) in try copy(from: offset, into: raw) } }.get()
        return bytes
    }

    /// Writes the `channels * plane` bytes at `offset` (channels first) into `destination` as
    /// floats: `v / 255`, then `(x - means[c]) * inverses[c]` per channel when `means` and
    /// `inverses` are given (each `channels` long), each operation rounded once, so the values are
    /// bit for bit a 256-entry table's built the same way. `path` picks the instruction set for
    /// tests (2 AVX-512, 1 AVX2, 0 baseline; nil: the best this CPU has). Throws as `copy` does.
    public func writeUnitScaled(
        from offset: Int, channels: Int, plane: Int, means: UnsafePointer<Float>?, inverses: UnsafePointer<Float>?,
        into destination: UnsafeMutableBufferPointer<Float>, path: Int? = nil
    ) throws(DataError) {
        let count = channels * plane
        precondition(destination.count >= count, "MappedFile.writeUnitScaled: the destination holds fewer than channels * plane floats")
        try checkRange(offset, count: count)
        guard count > 0, let base, let target = destination.baseAddress else { return }
        let source = (base + offset).assumingMemoryBound(to: UInt8.self)
        let outcome = millrace_mapped_unit_scale(source, target, channels, plane, means, means == nil ? nil : inverses, Int32(path ?? -1))
        if outcome != MILLRACE_MAPPED_OK { throw fault(at: offset, count: count) }
    }

    /// Asks the processor to bring the `count` bytes at `offset` into its caches, ahead of a read
    /// (a hint: nothing outside the mapping is touched, and it never faults).
    public func prefetch(from offset: Int, count: Int) {
        guard let base, offset >= 0, offset < size else { return }
        millrace_mapped_prefetch(base + offset, min(count, size - offset))
    }

    /// The instruction set `writeUnitScaled` uses on this CPU: 2 AVX-512, 1 AVX2, 0 baseline.
    public static var unitScalePath: Int { Int(millrace_mapped_unit_scale_path()) }

    private func checkRange(_ offset: Int, count: Int) throws(DataError) {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw DataError(
                .truncated, path: path, byteOffset: offset,
                reason: "a read of \(count) bytes at offset \(offset) lies outside the \(size) bytes mapped",
                fix: "the file is shorter than its header says: write it again")
        }
    }

    private func fault(at offset: Int, count: Int) -> DataError {
        let now = currentSize.map { "\($0) bytes" } ?? "an unknown size"
        return DataError(
            .truncated, path: path, byteOffset: offset,
            reason: "the file was truncated while it was mapped: it had \(size) bytes when opened and has \(now) now, "
                + "so the \(count) bytes at offset \(offset) cannot be read",
            fix: "do not change a file while it is read (write a new one and rename it over the old, as millrace pack does); "
                + "restore the file or write it again, then run again")
    }
}
