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

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
