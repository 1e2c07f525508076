import Foundation

extension CheckpointStore {
    /// Moves everything in `directory` except its lock file into a new sibling folder
    /// `<directory>.old-<yyyyMMdd-HHmmss>` (`-2`, `-3`, ... appended if that exists) and returns
    /// the folder's path, or nil when there was nothing to move. Nothing is deleted: each entry is
    /// renamed, so a crash midway leaves every file in one of the two folders.
    public static func moveAside(directory: String, now: Date = Date()) throws(CheckpointError) -> String? {
        let entries = DurableFile.list(directory).filter { $0 != DirectoryLock.fileName }
        guard !entries.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let trimmed = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let base = "\(trimmed).old-\(formatter.string(from: now))"
        var target = base
        var suffix = 2
        while access(target, F_OK) == 0 {
            target = "\(base)-\(suffix)"
            suffix += 1
        }
        try DurableFile.makeDirectory(target)
        for name in entries { try DurableFile.rename("\(trimmed)/\(name)", to: "\(target)/\(name)") }
        try DurableFile.syncDirectory(target)
        try DurableFile.syncDirectory(trimmed)
        return target
    }
}
