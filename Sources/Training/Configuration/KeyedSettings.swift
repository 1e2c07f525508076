/// A JSON object of a pipeline file (a section, a layer's or an optimizer's settings) whose keys
/// are its `@Setting` properties. Conforming is all it takes to be decoded strictly (a key that
/// is not one of them is an error listing them; a number that does not fit its key's type names
/// the key), encoded (absent optionals left out) and validated (each key's rule, then nested
/// settings, with their key paths):
///
///     public struct Logging: KeyedSettings {
///         /// Log a step line every this many steps.
///         @Setting("every_steps", .atLeast(1)) public var everySteps: Int? = nil
///         /// Creates empty settings (to be filled in code).
///         public init() {}
///     }
///
/// A type with checks across keys implements `validate()` and calls `validateSettings()` in it.
/// The settings are found by reflection on an `init()` value, so they must be stored properties
/// of a struct (made fresh by `init()`, never copied from a shared value).
public protocol KeyedSettings: Codable, Sendable {
    /// The initial values (required keys get theirs from the file).
    init()

    /// Checks the values (keys relative to this object); by default `validateSettings()`.
    func validate() throws(SpecificationError)
}

extension KeyedSettings {
    /// Decodes the object strictly: unknown keys are errors.
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, alsoAllowing: [])
    }

    /// Decodes the object strictly, allowing `extraKeys` besides the settings (`type` of a layer,
    /// read by someone else). With `keyedMisfits` false, a number that does not fit its type is
    /// left to the caller (`Decoder.reportingMisfits` names the object instead of the key).
    public init(from decoder: any Decoder, alsoAllowing extraKeys: [String], keyedMisfits: Bool = true) throws {
        self.init()
        try decoder.rejectUnknownKeys(allowedNames: Self.settingKeys + extraKeys)
        try loadSettings(from: decoder, keyedMisfits: keyedMisfits)
    }

    /// Encodes every setting that has a value.
    public func encode(to encoder: any Encoder) throws {
        try storeSettings(in: encoder)
    }

    /// Every setting's rule.
    public func validate() throws(SpecificationError) {
        try validateSettings()
    }

    /// The keys, in declaration order.
    public static var settingKeys: [String] {
        Self().declaredSettings.map(\.key)
    }

    /// Checks every setting's rule in declaration order, then validates nested settings (a
    /// section, or each entry of a list of them) with their key in front of the keys they report.
    public func validateSettings() throws(SpecificationError) {
        let settings = declaredSettings
        for setting in settings { try setting.check() }
        for setting in settings {
            if let nested = setting.anyValue as? any KeyedSettings {
                try SpecificationError.within(setting.key) { () throws(SpecificationError) in try nested.validate() }
            } else if let list = setting.anyValue as? [any KeyedSettings] {
                for (index, nested) in list.enumerated() {
                    try SpecificationError.within("\(setting.key)[\(index)]") { () throws(SpecificationError) in try nested.validate() }
                }
            }
        }
    }

    /// Reads every setting from the object `decoder` is at, without the unknown-key check (for
    /// objects whose other keys someone else reads). Only for a value being decoded.
    func loadSettings(from decoder: any Decoder, keyedMisfits: Bool = true) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        for setting in declaredSettings { try setting.load(from: container, keyedMisfits: keyedMisfits) }
    }

    /// Writes every setting that has a value into the object `encoder` is at.
    func storeSettings(in encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for setting in declaredSettings { try setting.store(in: &container) }
    }

    /// The `@Setting` properties, in declaration order.
    var declaredSettings: [any AnySetting] {
        Mirror(reflecting: self).children.compactMap { $0.value as? any AnySetting }
    }
}
