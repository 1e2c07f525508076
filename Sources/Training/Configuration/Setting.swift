/// One key of a pipeline file's JSON object, declared once on the property that holds it: the
/// key's name, its type (an optional type makes the key optional; any other type makes it
/// required in files, and the initial value is only where a configuration built in code
/// starts), its rule and, on the property, its documentation:
///
///     /// Decode threads.
///     @Setting("threads", .atLeast(1)) public var threads: Int? = nil
///
/// The enclosing `KeyedSettings` type decodes, encodes and validates every `@Setting` property
/// in declaration order; nothing else names the key.
@propertyWrapper
public struct Setting<Value: Codable & Sendable>: Sendable {
    /// The key in the JSON object (snake_case).
    public let key: String
    private let rule: SettingRule<Value>?
    private var storage: SettingStorage<Value>

    /// The value (copied on write: configurations are values).
    public var wrappedValue: Value {
        get { storage.value }
        set {
            if isKnownUniquelyReferenced(&storage) { storage.value = newValue } else { storage = SettingStorage(newValue) }
        }
    }

    /// A key without a rule.
    public init(wrappedValue: Value, _ key: String) {
        self.key = key
        rule = nil
        storage = SettingStorage(wrappedValue)
    }

    /// A key whose value must satisfy `rule`.
    public init(wrappedValue: Value, _ key: String, _ rule: SettingRule<Value>) {
        self.key = key
        self.rule = rule
        storage = SettingStorage(wrappedValue)
    }

    /// An optional key whose value, when given, must satisfy `rule`.
    public init<Wrapped>(wrappedValue: Wrapped?, _ key: String, _ rule: SettingRule<Wrapped>) where Value == Wrapped? {
        self.key = key
        self.rule = rule.optional
        storage = SettingStorage(wrappedValue)
    }
}

extension Setting: Equatable where Value: Equatable {
    /// The same value (the key and rule are the declaration's).
    public static func == (left: Setting, right: Setting) -> Bool {
        left.wrappedValue == right.wrappedValue
    }
}

/// A `Setting` of any type, as `KeyedSettings` finds it among a value's stored properties.
protocol AnySetting {
    /// The key.
    var key: String { get }
    /// The value, for nested settings.
    var anyValue: Any { get }
    /// Reads the value at the key (an absent optional key keeps the initial value). Only for a
    /// value being decoded: it writes into storage the value may share with its copies.
    func load(from container: KeyedDecodingContainer<AnyCodingKey>, keyedMisfits: Bool) throws
    /// Writes the value at the key (an optional without a value writes nothing).
    func store(in container: inout KeyedEncodingContainer<AnyCodingKey>) throws
    /// Checks the rule; keys relative to the enclosing object.
    func check() throws(SpecificationError)
}

extension Setting: AnySetting {
    var anyValue: Any { wrappedValue }

    func load(from container: KeyedDecodingContainer<AnyCodingKey>, keyedMisfits: Bool) throws {
        let codingKey = AnyCodingKey(stringValue: key)
        if let optional = Value.self as? any OptionalSetting.Type {
            guard container.contains(codingKey) else { return }
            guard let value = try optional.decode(from: container, forKey: codingKey, keyedMisfits: keyedMisfits) as? Value else { return }
            storage.value = value
        } else {
            storage.value =
                keyedMisfits ? try container.decodeValue(Value.self, forKey: codingKey) : try container.decode(Value.self, forKey: codingKey)
        }
        guard let rule, rule.checkedWhenDecoded else { return }
        do { try rule.check(storage.value, key) } catch { throw error.within(AnyCodingKey.path(container.codingPath)).absolute }
    }

    func store(in container: inout KeyedEncodingContainer<AnyCodingKey>) throws {
        if let optional = Value.self as? any OptionalSetting.Type {
            try optional.encodeIfPresent(wrappedValue, in: &container, forKey: AnyCodingKey(stringValue: key))
        } else {
            try container.encode(wrappedValue, forKey: AnyCodingKey(stringValue: key))
        }
    }

    func check() throws(SpecificationError) {
        try rule?.check(wrappedValue, key)
    }
}

/// Where a `Setting` keeps its value: shared between copies until one of them writes.
private final class SettingStorage<Value: Sendable>: @unchecked Sendable {
    // Written only while uniquely referenced, or while the value holding it is being decoded.
    var value: Value

    init(_ value: Value) {
        self.value = value
    }
}

/// `Optional`, seen from a `Setting`: its key may be absent, and `nil` is not written.
protocol OptionalSetting {
    /// `decodeIfPresent` of the wrapped type.
    static func decode(from container: KeyedDecodingContainer<AnyCodingKey>, forKey key: AnyCodingKey, keyedMisfits: Bool) throws -> Self
    /// `encodeIfPresent` of `value` (an optional of this type).
    static func encodeIfPresent(_ value: Any, in container: inout KeyedEncodingContainer<AnyCodingKey>, forKey key: AnyCodingKey) throws
}

extension Optional: OptionalSetting where Wrapped: Codable {
    static func decode(from container: KeyedDecodingContainer<AnyCodingKey>, forKey key: AnyCodingKey, keyedMisfits: Bool) throws -> Self {
        keyedMisfits ? try container.decodeValueIfPresent(Wrapped.self, forKey: key) : try container.decodeIfPresent(Wrapped.self, forKey: key)
    }

    static func encodeIfPresent(_ value: Any, in container: inout KeyedEncodingContainer<AnyCodingKey>, forKey key: AnyCodingKey) throws {
        guard let value = value as? Self else { return }
        try container.encodeIfPresent(value, forKey: key)
    }
}
