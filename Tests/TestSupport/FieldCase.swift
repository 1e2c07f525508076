import Foundation

/// One row of a field-reliability table: a `millrace` command run as a user would run it, the
/// exit status it must end with, fragments its standard error (or output) must hold, and the
/// paths whose bytes must be the same afterwards (a file, or every file under a folder).
public struct FieldCase {
    /// What the row tries, for failure messages.
    public var name: String
    /// The arguments after `millrace`.
    public var arguments: [String]
    /// The exit status it must end with.
    public var status: Int32
    /// Text the standard error (or, for status 0 runs with `--json`, the output) must hold.
    public var fragments: [String]
    /// Files or folders whose contents must be unchanged by the command.
    public var unchanged: [String]

    /// A row.
    public init(_ name: String, _ arguments: [String], status: Int32, _ fragments: [String], unchanged: [String] = []) {
        self.name = name
        self.arguments = arguments
        self.status = status
        self.fragments = fragments
        self.unchanged = unchanged
    }

    /// Runs the row with the built `millrace` and returns what went wrong (empty: the row
    /// passed): a wrong status, a missing fragment, a changed file, or (for status 1) other than
    /// exactly one `error:` line. Tests assert `XCTAssertEqual(try row.problems(), [])`.
    public func problems() throws -> [String] {
        let before = unchanged.map { TreeSnapshot(of: $0) }
        let result = try BuiltProducts.run(BuiltProducts.executable("millrace"), arguments)
        let text = result.errors + result.output
        var problems: [String] = []
        if result.status != status { problems.append("\(name): exit status \(result.status), expected \(status); stderr:\n\(result.errors)") }
        for fragment in fragments where !text.contains(fragment) { problems.append("\(name): '\(fragment)' missing from:\n\(text)") }
        if status == 1 {
            let errorLines = result.errors.split(separator: "\n").filter { $0.contains("error:") }
            if errorLines.count != 1 { problems.append("\(name): one error line expected:\n\(result.errors)") }
        }
        for (path, snapshot) in zip(unchanged, before) where TreeSnapshot(of: path) != snapshot {
            problems.append("\(name): \(path) changed")
        }
        return problems
    }
}

/// The relative paths and bytes of a file or of every file under a folder (symbolic links as
/// their targets' text), for asserting that a command left them alone.
public struct TreeSnapshot: Equatable {
    /// Relative path to contents (a link's target, prefixed `->`).
    public var entries: [String: Data]

    /// Reads `path` now; a missing path is an empty snapshot.
    public init(of path: String) {
        entries = [:]
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else {
            entries[""] = manager.contents(atPath: path) ?? Data()
            return
        }
        for relative in (manager.subpaths(atPath: path) ?? []).sorted() {
            let full = path + "/" + relative
            if let target = try? manager.destinationOfSymbolicLink(atPath: full) {
                entries[relative] = Data(("->" + target).utf8)
            } else if manager.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue {
                entries[relative] = manager.contents(atPath: full) ?? Data()
            } else {
                entries[relative + "/"] = Data()
            }
        }
    }
}
