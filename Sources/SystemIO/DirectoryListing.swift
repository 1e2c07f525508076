#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One entry of a directory.
public struct DirectoryEntry: Sendable, Equatable {
    /// The entry's name (no path).
    public var name: String
    /// Whether it is a directory (links are followed).
    public var isDirectory: Bool
    /// Whether it is a regular file (links are followed).
    public var isRegularFile = false
    /// What it is when neither a directory nor a regular file (`"a FIFO (named pipe)"`, `"a
    /// socket"`, `"a broken symbolic link"`, ...); nil for directories and regular files.
    public var otherKind: String?
}

/// A file's identity: its device and inode numbers (the same for every path that reaches it).
public struct FileIdentity: Sendable, Hashable {
    /// The device.
    public var device: UInt64
    /// The inode.
    public var inode: UInt64
}

/// Directory listing with `opendir`/`readdir`: file types come from `d_type`, so listing tens of
/// thousands of files needs no `stat` per file (only for links and file systems without `d_type`).
public enum DirectoryListing {
    /// The entries of `path` other than `.` and `..`, sorted by the bytes of their UTF-8 names.
    public static func entries(of path: String) throws(DataError) -> [DirectoryEntry] {
        guard let directory = opendir(path) else {
            let code = errno
            if code == ENOENT {
                throw DataError(.notFound, path: path, reason: "no such directory", fix: "check the dataset path")
            }
            if code == ENOTDIR {
                throw DataError(.unreadable, path: path, reason: "not a directory", fix: "give the folder that holds one subfolder per class")
            }
            throw DataError(
                .unreadable, path: path, reason: "cannot open directory: \(String(cString: strerror(code)))",
                fix: "check the folder's permissions")
        }
        defer { closedir(directory) }
        var result: [DirectoryEntry] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): result.append(DirectoryEntry(name: name, isDirectory: true))
            case Int32(DT_REG): result.append(DirectoryEntry(name: name, isDirectory: false, isRegularFile: true))
            default:
                // A link (followed), another kind, or a file system without d_type: stat tells.
                var status = stat()
                guard stat(path + "/" + name, &status) == 0 else {
                    result.append(DirectoryEntry(name: name, isDirectory: false, otherKind: "a broken symbolic link or unreadable entry"))
                    continue
                }
                let mode = status.st_mode & S_IFMT
                result.append(
                    DirectoryEntry(
                        name: name, isDirectory: mode == S_IFDIR, isRegularFile: mode == S_IFREG,
                        otherKind: mode == S_IFDIR ? nil : FileBytes.nonRegularKind(status.st_mode)))
            }
        }
        // Byte order of UTF-8 is code-point order: the order Python's sorted() gives torchvision.
        result.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return result
    }

    /// The identity (device and inode) of what `path` reaches, following links; nil when it
    /// cannot be reached.
    public static func identity(of path: String) -> FileIdentity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
