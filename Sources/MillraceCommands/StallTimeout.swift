import ArgumentParser

/// The value of `--stall-timeout`: seconds (a positive, finite number) an HTTP transfer of packed
/// data may go without receiving a byte before it is abandoned and retried.
struct StallTimeout: ExpressibleByArgument {
    /// The seconds.
    var seconds: Double

    /// Parses a positive number of seconds; nil (a usage error naming the option) otherwise.
    init?(argument: String) {
        guard let value = Double(argument), value.isFinite, value > 0 else { return nil }
        seconds = value
    }

    /// `--stall-timeout <seconds>` in help.
    static var defaultValueDescription: String { "30" }
}
