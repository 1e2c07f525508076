#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reading with `open`/`read`, faster than Foundation for many small files.
public enum FileBytes {
    /// Reads a whole file. Refuses files larger than `maximumBytes` before allocating.
    public static func contents(of path: String, maximumBytes: Int = 1 << 31) throws(DataError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw openError(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw openError(path) }
        let size = Int(status.st_size)
        guard size <= maximumBytes else {
            throw DataError(.tooLarge, path: path, reason: "file of \(size) bytes exceeds the limit of \(maximumBytes) bytes",
                            fix: "raise the file size limit or remove the file")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                if got == 0 { break }
                throw DataError(.unreadable, path: path, byteOffset: filled, reason: "read failed: \(String(cString: strerror(errno)))",
                                fix: "check the disk and the file's permissions")
            }
            filled += got
        }
        if filled < size { bytes.removeLast(size - filled) }
        return bytes
    }

    /// The typed error for a failed `open` or `stat`, from `errno`.
    static func openError(_ path: String) -> DataError {
        let code = errno
        let message = String(cString: strerror(code))
        if code == ENOENT {
            return DataError(.notFound, path: path, reason: "no such file or directory", fix: "check the path")
        }
        return DataError(.unreadable, path: path, reason: "cannot open: \(message)", fix: "check the file's permissions")
    }
}
