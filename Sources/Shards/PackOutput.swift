import Foundation
import SystemIO

/// The folder a pack is written to: apart from the input (not the input, inside it, or around
/// it: a pack inside an image folder would be walked as data next time), and missing, empty, or
/// holding an earlier pack of the same input and nothing else (its `manifest.json` names the same
/// resolved input path and every other file is one of its shards). Anything else is refused, so
/// `pack --output` never overwrites a checkpoint's `manifest.json` or any file it did not write.
enum PackOutput {
    /// Checks `output` for a pack of `source`; returns the earlier pack's manifest, if any.
    static func check(output: String, source: String) throws(DataError) -> ShardManifest? {
        try checkPlacement(output: output, source: source)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else {
            throw DataError(.invalidOption, path: output, reason: "--output is a file, not a folder", fix: "give a new or empty folder")
        }
        let entries = try DirectoryListing.entries(of: output)
        guard !entries.isEmpty else { return nil }
        let resolved = PathOverlap.resolved(source)
        let refusal = { (why: String) in
            DataError(
                .invalidOption, path: output, reason: "--output is not empty and \(why)",
                fix: "give a new or empty folder (pack replaces only an earlier pack of the same input)")
        }
        guard entries.contains(where: { $0.name == "manifest.json" }),
            let bytes = try? FileBytes.contents(of: "\(output)/manifest.json", maximumBytes: ShardManifest.maximumBytes),
            let manifest = try? ShardManifest.decode(bytes, path: "\(output)/manifest.json")
        else { throw refusal("holds no shard manifest (\(entries.count) entr\(entries.count == 1 ? "y" : "ies"), e.g. \(entries[0].name))") }
        guard manifest.source == resolved else {
            throw refusal("holds a pack of \(manifest.source ?? "an unrecorded input"), not of \(resolved)")
        }
        let listed = Set(manifest.shards.map(\.name) + ["manifest.json"])
        if let other = entries.first(where: { !listed.contains($0.name) }) {
            throw refusal("holds \(other.name), which is not part of the earlier pack of \(resolved)")
        }
        return manifest
    }

    /// Throws when `output` is `source`, lies inside it or contains it (real paths compared).
    static func checkPlacement(output: String, source: String) throws(DataError) {
        try PathOverlap.refuse(
            output, as: "--output", overlapping: source, named: "the input",
            fix: "give an --output folder outside the input (such as a sibling folder)")
    }

    /// Deletes the shards of `previous` that `current` does not list (the new manifest is in place).
    static func removeShards(of previous: ShardManifest?, keeping current: ShardManifest, in output: String) {
        guard let previous else { return }
        let kept = Set(current.shards.map(\.name))
        for shard in previous.shards where !kept.contains(shard.name) { unlink("\(output)/\(shard.name)") }
    }
}
