import Foundation

/// The one way commands print their `--json` object: one line, keys sorted.
enum JSONOutput {
    /// Prints `object` as one line of JSON with sorted keys.
    static func print(_ object: Any) throws {
        Swift.print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
}

/// Text for people that is not a command's result (progress, notes, diagnostics): it goes to
/// standard error, so that standard output holds only the result (`--json` | jq works).
enum Diagnostics {
    /// Writes `text` and a newline to standard error.
    static func print(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
