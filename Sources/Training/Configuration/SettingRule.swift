/// What a `Setting`'s value must be. A broken rule is a `SpecificationError` for the key:
/// "`value` is not allowed: it must be `allowed`; use `allowed`" for the ranges below.
public struct SettingRule<Value>: Sendable {
    /// Whether the rule is also checked as soon as the value is decoded (names that select
    /// what decodes next, such as registered names), not only when the configuration is validated.
    public let checkedWhenDecoded: Bool
    private let body: @Sendable (Value, String) throws(SpecificationError) -> Void

    /// A rule that throws for the value at `key` (relative to its object).
    public init(checkedWhenDecoded: Bool = false, _ body: @escaping @Sendable (Value, _ key: String) throws(SpecificationError) -> Void) {
        self.checkedWhenDecoded = checkedWhenDecoded
        self.body = body
    }

    /// Throws unless `value`, given at `key`, satisfies the rule.
    public func check(_ value: Value, _ key: String) throws(SpecificationError) {
        try body(value, key)
    }

    /// Values for which `condition` holds, described as `allowed` ("a number in [0, 1)"); `fix`
    /// replaces "use `allowed`".
    public static func require(_ allowed: String, fix: String? = nil, _ condition: @escaping @Sendable (Value) -> Bool) -> SettingRule {
        SettingRule { value, key throws(SpecificationError) in
            try SpecificationError.require(condition(value), key, value, mustBe: allowed, fix: fix)
        }
    }

    /// The rule for an optional key: checked when a value is given.
    var optional: SettingRule<Value?> {
        SettingRule<Value?>(checkedWhenDecoded: checkedWhenDecoded) { value, key throws(SpecificationError) in
            if let value { try check(value, key) }
        }
    }
}

extension SettingRule where Value: BinaryInteger & Sendable {
    /// `minimum` or more ("1 or more", or `allowed`).
    public static func atLeast(_ minimum: Value, _ allowed: String? = nil) -> SettingRule {
        require(allowed ?? "\(minimum) or more") { $0 >= minimum }
    }
}

extension SettingRule where Value: BinaryFloatingPoint & Sendable {
    /// A finite number of `minimum` or more ("0 or more").
    public static func atLeast(_ minimum: Value) -> SettingRule {
        require("\(describe(minimum)) or more") { $0 >= minimum && $0.isFinite }
    }

    /// A finite number above 0 ("a positive number", or `allowed`).
    public static func positive(_ allowed: String = "a positive number") -> SettingRule {
        require(allowed) { $0 > 0 && $0.isFinite }
    }

    /// A number in `range` ("a number in [0, 1]", or `allowed`).
    public static func within(_ range: ClosedRange<Value>, _ allowed: String? = nil, fix: String? = nil) -> SettingRule {
        require(allowed ?? "a number in [\(describe(range.lowerBound)), \(describe(range.upperBound))]", fix: fix) { range.contains($0) }
    }

    /// A number in `range` ("a number in [0, 1)", or `allowed`).
    public static func within(_ range: Range<Value>, _ allowed: String? = nil, fix: String? = nil) -> SettingRule {
        require(allowed ?? "a number in [\(describe(range.lowerBound)), \(describe(range.upperBound)))", fix: fix) { range.contains($0) }
    }

    /// `1` rather than `1.0` for whole numbers.
    private static func describe(_ number: Value) -> String {
        number == number.rounded() && abs(number) < 1e15 ? "\(Int(number))" : "\(number)"
    }
}

extension SettingRule where Value == String {
    /// A name registered in `registry` (`what`: "loss", "optimizer"), checked when decoded.
    static func registered<Entry: Sendable>(in registry: NameRegistry<Entry>, _ what: String) -> SettingRule {
        SettingRule(checkedWhenDecoded: true) { name, key throws(SpecificationError) in
            _ = try registry.entry(named: name, key: key, what: what)
        }
    }
}
