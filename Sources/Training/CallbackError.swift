/// A callback that cannot run as given: which one, what is wrong, what to do.
public struct CallbackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The callback (its state key, or its type's name).
    public var callback: String
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates an error.
    public init(callback: String, reason: String, fix: String) {
        self.callback = callback
        self.reason = reason
        self.fix = fix
    }

    /// `callback: reason; fix`.
    public var description: String { "\(callback): \(reason); \(fix)" }
}
