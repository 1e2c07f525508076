import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File operations with the durability a commit needs: writes that are flushed to the disk,
/// directories synced after renames, and errors (disk full, permissions) reported, not lost.
enum DurableFile {
    /// Creates `path` (which must not exist), writes `bytes`, and fsyncs it.
    static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ioError("cannot create", path) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let error = ioError("cannot write", path)
                close(descriptor)
                throw error
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let error = ioError("cannot flush", path)
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw ioError("cannot close", path) }
    }

    /// Flushes a directory's entries (after creating or renaming in it).
    static func syncDirectory(_ path: String) throws(CheckpointError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ioError("cannot open directory", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ioError("cannot flush directory", path) }
    }

    /// Renames atomically.
    static func rename(_ from: String, to: String) throws(CheckpointError) {
        guard Glibc.rename(from, to) == 0 else { throw ioError("cannot rename to \(to)", from) }
    }

    /// Renames the file `from` over `to`, refusing a `to` that exists and is not a regular file
    /// (a FIFO, device or folder put where a checkpoint file belongs is never replaced).
    static func replace(_ from: String, over to: String) throws(CheckpointError) {
        do { try AtomicFile.checkReplaceable(to, what: "the checkpoint file") } catch {
            remove(from)
            throw CheckpointError(.io, path: to, reason: error.reason, fix: "move it away, or give another checkpoint directory")
        }
        try rename(from, to: to)
    }

    /// Creates a directory.
    static func makeDirectory(_ path: String) throws(CheckpointError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw ioError("cannot create directory", path) }
    }

    /// Removes a file or a directory tree (best effort for what is already gone).
    static func remove(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { remove(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// The names in a directory.
    static func list(_ path: String) -> [String] {
        ((try? DirectoryListing.entries(of: path)) ?? []).map(\.name)
    }

    static func ioError(_ action: String, _ path: String) -> CheckpointError {
        let code = errno
        return CheckpointError(
            .io, path: path, reason: "\(action): \(String(cString: strerror(code)))",
            fix: AtomicFile.writeFix(for: code, elsewhere: "move the checkpoint directory"))
    }
}
