/// A public initialiser or entry point given an argument it cannot use: which call, which
/// argument and its value, why, and what to do. Layers, optimizers, learning-rate schedules and
/// datasets throw it (or report it through their shape check) instead of trapping on a value
/// that came from their caller.
public struct ArgumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call that refused the argument, as written in Swift (`Dense(weight:bias:)`).
    public var call: String
    /// The argument's label (`bias`).
    public var argument: String
    /// What is wrong, with the value given and the value expected (`has shape [3], but the
    /// weight [4, 2] needs [4]`).
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates the error.
    public init(call: String, argument: String, reason: String, fix: String) {
        self.call = call
        self.argument = argument
        self.reason = reason
        self.fix = fix
    }

    /// `<call>: <argument> <reason>; <fix>`.
    public var description: String { "\(call): \(argument) \(reason); \(fix)" }
}
