/// A value in a pipeline file that cannot be used, found while decoding or validating one part of
/// it. `key` is relative to the part that threw it until `RunConfiguration.decode(_:path:)` turns
/// it into a `RunConfigurationError` with the whole dotted key path and the file.
public struct SpecificationError: Error, Equatable, CustomStringConvertible {
    /// The dotted key relative to the part being checked (`kernel`, `augmentations[1].flip`), or
    /// nil for the part as a whole.
    public var key: String?
    /// What is wrong, with the offending value.
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates the error.
    public init(key: String?, reason: String, fix: String) {
        self.key = key
        self.reason = reason
        self.fix = fix
    }

    /// `key 'k': reason; fix`.
    public var description: String {
        "\(key.map { "key '\($0)': " } ?? "")\(reason); \(fix)"
    }

    /// The error with `parent` (`model.layers[2]`) in front of its key.
    public func within(_ parent: String) -> SpecificationError {
        guard !parent.isEmpty else { return self }
        var copy = self
        copy.key = key.map { $0.hasPrefix("[") ? parent + $0 : "\(parent).\($0)" } ?? parent
        return copy
    }

    /// Throws unless `condition` holds: "`value` is not allowed: it must be `allowed`; use `allowed`"
    /// (or `fix`).
    public static func require(_ condition: Bool, _ key: String, _ value: Any, mustBe allowed: String, fix: String? = nil) throws(SpecificationError)
    {
        guard !condition else { return }
        throw SpecificationError(key: key, reason: "\(value) is not allowed: it must be \(allowed)", fix: fix ?? "use \(allowed)")
    }

    /// Runs `body` (the checks of a nested part), putting `parent` in front of the keys it reports.
    public static func within(_ parent: String, _ body: () throws(SpecificationError) -> Void) throws(SpecificationError) {
        do { try body() } catch { throw error.within(parent) }
    }
}
