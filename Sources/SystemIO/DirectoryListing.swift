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
            var isDirectory: Bool
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): isDirectory = true
            case Int32(DT_REG): isDirectory = false
            default:
                var status = stat()
                isDirectory = stat(path + "/" + name, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
            }
            result.append(DirectoryEntry(name: name, isDirectory: isDirectory))
        }
        // Byte order of UTF-8 is code-point order: the order Python's sorted() gives torchvision.
        result.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return result
    }
}
