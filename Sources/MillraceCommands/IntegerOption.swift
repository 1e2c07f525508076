import ArgumentParser

/// Whole-number options parsed with their allowed range in the message: `--seed
/// 99999999999999999999`, `--epochs 0` or `--top ten` say which numbers the option takes (not
/// only that the value is invalid). Every integer option of the commands uses one of these as
/// its `transform`.
enum IntegerOption {
    /// Why a value was refused; ArgumentParser puts it after "The value 'v' is invalid for '--flag'".
    struct Problem: Error, CustomStringConvertible {
        /// The reason and the allowed range.
        var description: String
    }

    /// A parser for values from `minimum` to the type's largest.
    static func atLeast<Value: FixedWidthInteger & Sendable>(_ minimum: Value) -> @Sendable (String) throws -> Value {
        { text in try parse(text, minimum: minimum) }
    }

    /// Any value of the type (`--seed`: 0 to 18446744073709551615).
    static func whole<Value: FixedWidthInteger & Sendable>(_ text: String) throws -> Value {
        try parse(text, minimum: Value.min)
    }

    /// `text` as a `Value` of at least `minimum`, or a `Problem` naming the range.
    static func parse<Value: FixedWidthInteger>(_ text: String, minimum: Value) throws -> Value {
        let range = "use a whole number from \(minimum) to \(Value.max)"
        guard let value = Value(text) else {
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            let isNumber = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
            throw Problem(description: isNumber ? "out of range; \(range)" : "not a whole number; \(range)")
        }
        guard value >= minimum else { throw Problem(description: "\(value) is too small; \(range)") }
        return value
    }
}
