import Foundation
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The record a staging cache keeps of the files it wrote (`.millrace-cache` in the cache
/// directory): a header line, then one file name per line. The stager deletes only names listed
/// here, so a cache directory may be a folder that holds anything else, and a file that merely
/// has a shard's name is never removed or replaced. The record is rewritten whole (a temporary
/// file renamed over it) whenever a name is added or removed; a name is added before its file is
/// created and removed after its file is deleted, so a crash leaves at worst a listed name with
/// no file, which the next opening drops.
final class CacheIndex: @unchecked Sendable {
    /// The index file's name.
    static let fileName = ".millrace-cache"
    /// Its first line.
    static let header = "millrace staging cache 1"
    /// The prefix of the stager's temporary downloads.
    static let temporaryPrefix = ".millrace-tmp-"

    /// The cache directory.
    let directory: String
    private let lock = NSLock()
    private var names: Set<String>

    /// Opens the index of `directory` (which exists), or starts an empty one (not written yet). Throws when an
    /// index file exists but is not one (the directory is then not a staging cache to trust).
    init(directory: String) throws(DataError) {
        self.directory = directory
        let path = "\(directory)/\(CacheIndex.fileName)"
        guard FileManager.default.fileExists(atPath: path) else {
            names = []  // written with the first name, so a refused opening leaves nothing behind
            return
        }
        let bytes = try FileBytes.contents(of: path, maximumBytes: 64 << 20)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.first == CacheIndex.header else {
            throw DataError(
                .corrupt, path: path, reason: "not a Millrace staging cache index (its first line is not '\(CacheIndex.header)')",
                fix: "choose another --cache-dir, or remove this file if it is a damaged index")
        }
        names = Set(lines.dropFirst())
    }

    /// Whether the cache wrote `name` (and has not deleted it since).
    func contains(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return names.contains(name)
    }

    /// Records `added` before their files are created.
    func add(_ added: [String]) throws(DataError) {
        lock.lock()
        defer { lock.unlock() }
        guard !names.isSuperset(of: added) else { return }
        names.formUnion(added)
        try write()
    }

    /// Deletes `name`'s file if the cache wrote it, then forgets it. A name it did not write is
    /// left alone (and false is returned).
    @discardableResult
    func remove(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard names.contains(name) else { return false }
        unlink("\(directory)/\(name)")
        names.remove(name)
        try? write()
        return true
    }

    /// Forgets `name` without deleting anything (a temporary file renamed away).
    func forget(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        guard names.remove(name) != nil else { return }
        try? write()
    }

    /// The recorded names.
    var recorded: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return names
    }

    /// Writes the record to a temporary file and renames it over the index. Called with the
    /// lock held (or before the index is shared).
    private func write() throws(DataError) {
        let text = ([CacheIndex.header] + names.sorted()).joined(separator: "\n") + "\n"
        try AtomicFile.write(Array(text.utf8), to: "\(directory)/\(CacheIndex.fileName)", what: "the staging cache's index", durable: false)
    }
}
