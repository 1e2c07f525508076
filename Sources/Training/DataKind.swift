import Foundation

/// What kind of data a path holds (`dataset.kind` in pipeline files); `of(path:)` is the one place
/// that decides it from a path, without reading the data.
public enum DataKind: String, ConfigurationChoice {
    /// A folder of PNG and JPEG images in class subfolders.
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
        if isURL(path) { return .packed }
        let lowered = path.lowercased()
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            return FileManager.default.fileExists(atPath: "\(path)/manifest.json") ? .packed : .imageFolder
        }
        if [".csv", ".csv.gz", ".tsv"].contains(where: { lowered.hasSuffix($0) }) { return .csv }
        if lowered.hasSuffix("/manifest.json") { return .packed }
        return exists ? .csv : .imageFolder
    }

    /// Whether `path` is an http(s) URL: it begins with `http://` or `https://`, in any case.
    public static func isURL(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }
}
