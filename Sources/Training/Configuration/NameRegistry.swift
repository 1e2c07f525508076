import Synchronization

/// A thread-safe table of named entries (layer, loss and optimizer registries use one each).
/// Registering a name again replaces its entry.
public final class NameRegistry<Entry: Sendable>: Sendable {
    private let entries: Mutex<[String: Entry]>
    /// The public type whose `register` calls add to it (`LayerRegistry`), for error messages.
    let registrar: String

    /// Creates a registry holding `initial`, filled by `registrar`'s `register` calls.
    public init(_ initial: [String: Entry] = [:], registrar: String = "the registry") {
        entries = Mutex(initial)
        self.registrar = registrar
    }

    /// Adds (or replaces) `name`.
    public func register(_ name: String, _ entry: Entry) {
        entries.withLock { $0[name] = entry }
    }

    /// The entry for `name`.
    public func entry(named name: String) -> Entry? {
        entries.withLock { $0[name] }
    }

    /// Every registered name, sorted.
    public var names: [String] {
        entries.withLock { $0.keys.sorted() }
    }

    /// The entry for `name`, or an error for `key` listing the registered names and, for a type
    /// of the user's own, the `register` call that makes it known (and where the command needs it).
    func entry(named name: String, key: String, what: String) throws(SpecificationError) -> Entry {
        guard let entry = entry(named: name) else {
            let article = what.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            throw SpecificationError(
                key: key, reason: "unknown \(what) '\(name)'",
                fix: "use one of: \(names.joined(separator: ", ")); \(article) \(what) of your own needs "
                    + "`\(registrar).register(\"\(name)\", ...)` first (for the command: in your own millrace's `MillraceCommand.main { ... }`)")
        }
        return entry
    }
}
