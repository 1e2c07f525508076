#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file reading with `open`/`read`, faster than Foundation for many small files.
///
/// Only regular files are read: a FIFO, socket, device or directory is refused with a `DataError`
/// naming what it is. Files are opened with `O_NONBLOCK` and checked with `fstat` before any
/// read, so opening a FIFO that has no writer never blocks.
public enum FileBytes {
    /// Reads a whole file into a new array. Refuses files larger than `maximumBytes` before
    /// allocating.
    public static func contents(of path: String, maximumBytes: Int = 1 << 31) throws(DataError) -> [UInt8] {
        var failure: DataError?
        let bytes = withOpenFile(path, maximumBytes: maximumBytes, failure: &failure) { descriptor, size, failure in
            // Uninitialised capacity: every byte kept is written by read(2) first.
            [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                initialized = size == 0 ? 0 : readFully(descriptor, into: buffer.baseAddress!, count: size, path: path, failure: &failure)
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
            guard size > 0 else { return 0 }
            return buffer.withUnsafeMutableBytes { raw in
                readFully(descriptor, into: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size, path: path, failure: &failure)
            }
        }
        if let failure { throw failure }
        return count ?? 0
    }

    /// Opens `path` for reading if it is a regular file (following links) and returns the
    /// descriptor (blocking mode, close-on-exec; the caller closes it). Never blocks: the file is
    /// opened with `O_NONBLOCK` and checked with `fstat` first. Throws for a missing or unreadable
    /// path and for anything that is not a regular file (a directory, FIFO, socket or device).
    public static func openRegularFile(_ path: String) throws(DataError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw openError(path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = openError(path)
            close(descriptor)
            throw error
        }
        if let kind = nonRegularKind(status.st_mode) {
            close(descriptor)
            throw DataError(
                .unreadable, path: path, reason: "not a regular file: it is \(kind)",
                fix: "give the path of a regular file (copy the data into one first)")
        }
        // Regular files never block anyway; clear the flag so reads behave as usual.
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        return descriptor
    }

    /// What a file of mode `mode` is, in words (`"a directory"`, `"a FIFO (named pipe)"`, ...),
    /// or nil for a regular file.
    public static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    private static func withOpenFile<Result>(
        _ path: String, maximumBytes: Int, failure: inout DataError?,
        _ body: (Int32, Int, inout DataError?) -> Result
    ) -> Result? {
        let descriptor: Int32
        do { descriptor = try openRegularFile(path) } catch {
            failure = error
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

    /// The typed error for a failed `open` or `stat`, from `errno`: a symbolic link loop and a
    /// dangling link are named as such, not as a missing file.
    public static func openError(_ path: String) -> DataError {
        let code = errno
        if code == ENOENT || code == ELOOP, let link = PathProblem.brokenLink(path) {
            return DataError(.unreadable, path: path, reason: link, fix: "point the link at an existing file, or give the file's own path")
        }
        if code == ENOENT {
            return DataError(.notFound, path: path, reason: "no such file or directory", fix: "check the path")
        }
        return DataError(.unreadable, path: path, reason: "cannot open: \(String(cString: strerror(code)))", fix: "check the file's permissions")
    }
}
