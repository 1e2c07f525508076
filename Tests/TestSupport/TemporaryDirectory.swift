import Foundation

/// A fresh directory under the system's temporary directory, removed when this is released.
public final class TemporaryDirectory {
    /// The directory's location.
    public let url: URL

    /// Creates the directory.
    public init(prefix: String = "millrace-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The location of `name` inside the directory.
    public func path(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    /// Writes `text` (UTF-8) to `name` inside the directory and returns the file's path.
    public func write(_ text: String, name: String = "data.csv") throws -> String {
        let url = path(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
