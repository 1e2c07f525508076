#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file reading with `open`/`read`, faster than Foundation for many small files.
public enum FileBytes {
    /// Reads a whole file into a new array. Refuses files larger than `maximumBytes` before
    /// allocating.
    public static func contents(of path: String, maximumBytes: Int = 1 << 31) throws(DataError) -> [UInt8] {
        var failure: DataError?
        let bytes = withOpenFile(path, maximumBytes: maximumBytes, failure: &failure) { descriptor, size, failure in
            // Uninitialised capacity: every byte kept is written by read(2) first.
            [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                initialized = readFully(descriptor, into: buffer.baseAddress!, count: size, path: path, failure: &failure)
            }
        }
        if let failure { throw failure }
        return bytes ?? []
    }

    /// Reads a whole file into `buffer`, reusing its capacity; returns the number of bytes read.
    public static func load(_ path: String, into buffer: inout [UInt8], maximumBytes: Int = 1 << 31) throws(DataError) -> Int {
        var failure: DataError?
        let count = withOpenFile(path, maximumBytes: maximumBytes, failure: &failure) { descriptor, size, failure in
            if buffer.count < size { buffer = [UInt8](repeating: 0, count: Swift.max(size, buffer.count * 2)) }
            return buffer.withUnsafeMutableBytes { raw in
                readFully(descriptor, into: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size, path: path, failure: &failure)
            }
        }
        if let failure { throw failure }
        return count ?? 0
    }

    private static func withOpenFile<Result>(
        _ path: String, maximumBytes: Int, failure: inout DataError?,
        _ body: (Int32, Int, inout DataError?) -> Result
    ) -> Result? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            failure = openError(path)
            return nil
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            failure = openError(path)
            return nil
        }
        let size = Int(status.st_size)
        guard size <= maximumBytes else {
            failure = DataError(
                .tooLarge, path: path, reason: "file of \(size) bytes exceeds the limit of \(maximumBytes) bytes",
                fix: "raise the file size limit or remove the file")
            return nil
        }
        return body(descriptor, size, &failure)
    }

    /// Reads up to `count` bytes; returns how many were read (fewer if the file shrank).
    private static func readFully(
        _ descriptor: Int32, into pointer: UnsafeMutablePointer<UInt8>, count: Int, path: String,
        failure: inout DataError?
    ) -> Int {
        var filled = 0
        while filled < count {
            let got = read(descriptor, pointer + filled, count - filled)
            if got < 0 && errno == EINTR { continue }
            if got < 0 {
                failure = DataError(
                    .unreadable, path: path, byteOffset: filled, reason: "read failed: \(String(cString: strerror(errno)))",
                    fix: "check the disk and the file's permissions")
            }
            if got <= 0 { break }
            filled += got
        }
        return filled
    }

    /// The typed error for a failed `open` or `stat`, from `errno`.
    public static func openError(_ path: String) -> DataError {
        let code = errno
        if code == ENOENT {
            return DataError(.notFound, path: path, reason: "no such file or directory", fix: "check the path")
        }
        return DataError(.unreadable, path: path, reason: "cannot open: \(String(cString: strerror(code)))", fix: "check the file's permissions")
    }
}
