/// Text for a terminal with the user's bytes made visible: control characters (C0, DEL and C1:
/// NUL, ESC, BEL, CR, ...) from a key name, path or CSV cell quoted in a message are written as
/// Swift escapes (`\0`, `\t`, `\u{1B}`), so a message never rings, clears, recolours or rewrites
/// the terminal, and never breaks into a second line that could pass for another message.
public enum TerminalText {
    /// `text` with every control character escaped; `keepingNewlines`: line feeds stay (for
    /// notes of several lines that the program itself breaks).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            guard isControl(scalar), !(keepingNewlines && scalar == "\n") else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\0": result += "\\0"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return result
    }

    /// Whether `scalar` is a C0 or C1 control character or DEL.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
