import Foundation

/// Files committed under `Tests/Fixtures`, made by other software (each one's origin is stated
/// next to it or inside it).
public enum Fixtures {
    /// The `Tests/Fixtures` directory of this checkout.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures", isDirectory: true)
    }

    /// The root of this checkout (the shipped pipelines, datasets and scripts are under it).
    public static var repositoryRoot: URL {
        directory.deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The contents of a fixture file.
    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }
}
