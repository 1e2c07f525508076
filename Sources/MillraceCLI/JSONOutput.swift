import Foundation

/// The one way commands print their `--json` object: one line, keys sorted.
enum JSONOutput {
    /// Prints `object` as one line of JSON with sorted keys.
    static func print(_ object: Any) throws {
        Swift.print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
}
