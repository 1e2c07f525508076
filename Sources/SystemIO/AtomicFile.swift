#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole files written through a temporary file in the same folder and a rename over the
/// destination, so that a reader sees the old file or the new one, never half of one (reports,
/// `configuration.json`, packed shards and manifests, the staging cache's index).
///
/// A rename replaces whatever the destination names, so the destination is checked first: one
/// that exists and is not a regular file (a device such as `/dev/full`, a FIFO, a socket, a
/// folder) is refused, never replaced by a regular file. Checkpoint commits use the same check
/// (`checkReplaceable`) before their own renames.
public enum AtomicFile {
    /// Throws when `path` exists and is not a regular file (following links: a link to a regular
    /// file may be replaced). `what` names the output in the message (`"the report"`).
    public static func checkReplaceable(_ path: String, what: String = "the output") throws(DataError) {
        var status = stat()
        guard stat(path, &status) == 0, let kind = FileBytes.nonRegularKind(status.st_mode) else { return }
        throw DataError(
            .unwritable, path: path,
            reason: "\(what) would replace \(kind), which is not a regular file (a write by rename replaces what the path names)",
            fix: "give the path of a regular file or of a new one")
    }

    /// Writes `bytes` to `path`: checks the destination (`checkReplaceable`), writes a temporary
    /// file beside it, flushes it to the disk (unless not `durable`: a cache's bookkeeping) and
    /// renames it over `path`. On any failure the temporary file is removed and `path` is as it
    /// was; the error names the path and the cause (a full disk, permissions).
    public static func write(_ bytes: [UInt8], to path: String, what: String = "the output", durable: Bool = true) throws(DataError) {
        try checkReplaceable(path, what: what)
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(folder.isEmpty ? "" : folder)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder.isEmpty ? "/" : folder)", path) }
        var written = 0
        while written < bytes.count {
            #if canImport(Glibc)
                let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            #else
                let result = bytes.withUnsafeBytes { Darwin.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            #endif
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return try abandon(descriptor, temporary, failure("cannot write", path)) }
            written += result
        }
        guard !durable || fsync(descriptor) == 0 else { return try abandon(descriptor, temporary, failure("cannot flush", path)) }
        guard close(descriptor) == 0 else {
            let error = failure("cannot close", path)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot replace", path)
            unlink(temporary)
            throw error
        }
    }

    /// Closes and removes the temporary file, then throws `error`.
    private static func abandon(_ descriptor: Int32, _ temporary: String, _ error: DataError) throws(DataError) {
        close(descriptor)
        unlink(temporary)
        throw error
    }

    /// The error for a failed step, from `errno`.
    static func failure(_ action: String, _ path: String) -> DataError {
        let code = errno
        return DataError(
            .unwritable, path: path, reason: "\(action): \(String(cString: strerror(code)))", fix: writeFix(for: code, elsewhere: "write elsewhere"))
    }

    /// What to do about a write that failed with `code` (an `errno`); `elsewhere` is the way
    /// around it ("write elsewhere", "move the checkpoint directory"). The one wording for a full
    /// disk, a file-size limit and a folder that cannot be written, for every writer.
    public static func writeFix(for code: Int32, elsewhere: String) -> String {
        switch code {
        case ENOSPC, EDQUOT: return "the disk is full: free space or \(elsewhere)"
        case EFBIG: return "the disk is full for this process (the file-size limit, ulimit -f): raise the limit, or \(elsewhere)"
        case EACCES, EPERM, EROFS: return "the folder is not writable: check its permissions, or \(elsewhere)"
        case ENOENT, ENOTDIR: return "the folder does not exist: create it first, or check the path"
        default: return "check the path and the disk"
        }
    }
}
