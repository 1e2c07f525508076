import DataPipeline
import SystemIO

extension ShardStager {
    /// Throws when the staging cache directory `cache` is the local packed folder `source`, lies
    /// inside it or contains it (real paths compared): the cache would take the shards for its own.
    public static func checkPlacement(cache: String, source: String) throws(DataError) {
        try PathOverlap.refuse(
            cache, as: "the staging cache directory", overlapping: source, named: "the data source's folder",
            fix: "give a --cache-dir outside the packed data (the default is <run dir>/cache)")
    }

    /// Keeps the complete, valid shards an earlier run of this cache left; deletes this cache's
    /// damaged or surplus files and temporary downloads (those its index lists). A file the
    /// cache did not write is never removed or replaced: one that has a shard's name is an
    /// error naming it (staging would have to replace it); any other is left alone, so the cache
    /// directory may be a folder that holds other files (`--cache-dir .`).
    func adoptEarlierFiles() throws(DataError) {
        let names = Dictionary(uniqueKeysWithValues: manifest.shards.enumerated().map { ($1.name, $0) })
        let entries = try DirectoryListing.entries(of: directory)
        for entry in entries where !entry.isDirectory && entry.name != CacheIndex.fileName {
            let path = "\(directory)/\(entry.name)"
            let written = cacheIndex.contains(entry.name)
            guard let shard = names[entry.name] else {
                if written { cacheIndex.remove(entry.name) }  // an earlier pack's shard or a temporary download
                continue
            }
            guard written else {
                throw DataError(
                    .invalidOption, path: path,
                    reason: "the cache directory holds a file with a shard's name that this staging cache did not write",
                    fix: "move the file away or give another --cache-dir (the cache never deletes or replaces files it did not write)")
            }
            let expected = manifest.shards[shard]
            if entry.isRegularFile, let bytes = try? FileBytes.contents(of: path, maximumBytes: expected.bytes), bytes.count == expected.bytes,
                CRC32.checksum(bytes) == expected.crc32, resident.values.reduce(0, +) + bytes.count <= budgetBytes
            {
                resident[shard] = bytes.count
            } else {
                cacheIndex.remove(entry.name)
            }
        }
        // Listed names whose files are gone (a crash between recording and writing) are dropped.
        let present = Set(entries.map(\.name))
        for name in cacheIndex.recorded where !present.contains(name) { cacheIndex.forget(name) }
    }
}
