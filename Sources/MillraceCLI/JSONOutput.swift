import Foundation
import SystemIO

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
    /// Writes `text` and a newline to standard error (a full or closed one loses the text, never
    /// the command).
    static func print(_ text: String) {
        StandardStreams.write(text + "\n")
    }
}
