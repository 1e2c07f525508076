import Foundation

/// What kind of data a path holds (`dataset.kind` in pipeline files); `of(path:)` is the one place
/// that decides it from a path, without reading the data.
public enum DataKind: String, ConfigurationChoice {
    /// A folder of PNG images in class subfolders.
    case imageFolder = "image-folder"
    /// A CSV file, plain or gzip-compressed.
    case csv
    /// Packed shards: an http(s) URL of a manifest, or a directory holding `manifest.json`.
    case packed
    /// The seed's four XOR points (no path).
    case xor

    /// The kind of `path`: a URL or a directory with a shard manifest is packed data; a name
    /// ending in `.csv`, `.csv.gz` or `.tsv` (any case) is CSV; any other directory is an
    /// image folder; any other file is CSV.
    public static func of(path: String) -> DataKind {
        let lowered = path.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") { return .packed }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            return FileManager.default.fileExists(atPath: "\(path)/manifest.json") ? .packed : .imageFolder
        }
        if [".csv", ".csv.gz", ".tsv"].contains(where: { lowered.hasSuffix($0) }) { return .csv }
        if lowered.hasSuffix("/manifest.json") { return .packed }
        return exists ? .csv : .imageFolder
    }
}
