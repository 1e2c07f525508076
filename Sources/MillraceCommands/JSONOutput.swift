import Foundation
import SystemIO

/// The one way commands print their `--json` object: one line, keys sorted, through
/// `ResultOutput` (a result that cannot be written fails the command).
enum JSONOutput {
    /// Prints `object` as one line of JSON with sorted keys.
    static func print(_ object: Any) throws {
        try ResultOutput.print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
}

/// Text for people that is not a command's result (progress, notes, diagnostics): it goes to
/// standard error, so that standard output holds only the result (`--json` | jq works).
enum Diagnostics {
    /// Writes `text` and a newline to standard error (a full or closed one loses the text, never
    /// the command), control characters of quoted user text escaped (`TerminalText`).
    static func print(_ text: String) {
        StandardStreams.write(TerminalText.escaped(text, keepingNewlines: true) + "\n")
    }
}
