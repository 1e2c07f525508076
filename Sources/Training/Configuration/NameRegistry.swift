import Synchronization

/// A thread-safe table of named entries (layer, loss and optimizer registries use one each).
/// Registering a name again replaces its entry.
public final class NameRegistry<Entry: Sendable>: Sendable {
    private let entries: Mutex<[String: Entry]>

    /// Creates a registry holding `initial`.
    public init(_ initial: [String: Entry] = [:]) {
        entries = Mutex(initial)
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

    /// The entry for `name`, or an error for `key` listing the registered names.
    func entry(named name: String, key: String, what: String) throws(SpecificationError) -> Entry {
        guard let entry = entry(named: name) else {
            throw SpecificationError(key: key, reason: "unknown \(what) '\(name)'", fix: "use one of: \(names.joined(separator: ", "))")
        }
        return entry
    }
}
