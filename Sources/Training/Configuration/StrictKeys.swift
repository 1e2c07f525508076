/// A coding key with any name, to list every key a JSON object holds.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    /// The key.
    public var stringValue: String
    /// Array positions have one.
    public var intValue: Int?

    /// A named key.
    public init(stringValue: String) {
        self.stringValue = stringValue
    }

    /// A position.
    public init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }

    /// The dotted snake_case path of a coding path with `[index]` for positions: `model.layers[3].kernel`.
    public static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(into: "") { path, key in
            if let index = key.intValue { path += "[\(index)]" } else { path += path.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
    }
}

/// The coding keys of an object without keys of its own (a `KeyedSettings` specification lists
/// its keys as settings; a parameterless layer has none).
public enum NoCodingKeys: CodingKey, CaseIterable {
    /// No key has this name.
    public init?(stringValue: String) { nil }
    /// No key has this position.
    public init?(intValue: Int) { nil }
    /// Never called: there is no case.
    public var stringValue: String { switch self {} }
    /// None.
    public var intValue: Int? { nil }
}

extension Decoder {
    /// Throws a `SpecificationError` naming the first key of this JSON object that is not one of
    /// `allowed` (the coding keys of the type being decoded, plus `extra`), listing the allowed keys.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ allowed: Keys.Type, extra: [String] = []) throws {
        try rejectUnknownKeys(allowedNames: allowed.allCases.map(\.stringValue) + extra)
    }

    /// The same check against a list of names.
    public func rejectUnknownKeys(allowedNames: [String]) throws {
        let present = try container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        let allowedSet = Set(allowedNames)
        guard let unknown = present.sorted().first(where: { !allowedSet.contains($0) }) else { return }
        let location = AnyCodingKey.path(codingPath)
        throw SpecificationError(
            key: location.isEmpty ? unknown : "\(location).\(unknown)", reason: "unknown key",
            fix: "use one of: \(allowedSet.sorted().joined(separator: ", "))"
        ).absolute
    }

    /// Runs `body` (a synthesized `init(from:)`), reporting numbers that do not fit their type
    /// (which Foundation's decoder on Linux reports without a key) with this object's path.
    public func reportingMisfits<Value>(_ body: () throws -> Value) throws -> Value {
        do { return try body() } catch let error as AbsoluteSpecificationError {
            throw error
        } catch let error as DecodingError {
            guard case .dataCorrupted = error else { throw error }
            throw misfit
        } catch let error as SpecificationError {
            throw error.within(AnyCodingKey.path(codingPath)).absolute
        } catch {
            throw misfit  // Linux: the parser's own error for a number that does not fit
        }
    }

    private var misfit: AbsoluteSpecificationError {
        SpecificationError(
            key: AnyCodingKey.path(codingPath),
            reason: "a value does not fit its key's type (a fraction where an integer belongs, or a number too large)",
            fix: "check this object's numbers"
        ).absolute
    }

    /// The keyed container of `Keys` after checking that the object holds no other keys.
    public func strictContainer<Keys: CodingKey & CaseIterable>(keyedBy keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        try rejectUnknownKeys(keys)
        return try container(keyedBy: keys)
    }
}

/// A `SpecificationError` whose key is already the whole path from the file's top.
struct AbsoluteSpecificationError: Error, CustomStringConvertible {
    var error: SpecificationError

    /// The error's own description.
    var description: String { error.description }
}

extension SpecificationError {
    /// Marks the key as the whole path (errors thrown while decoding know their coding path).
    var absolute: AbsoluteSpecificationError { AbsoluteSpecificationError(error: self) }
}

extension KeyedDecodingContainer {
    /// `decode`, with numbers that do not fit the type (`1.5` for an integer, `1e39` for a
    /// `Float`) reported with their key: Foundation's decoder on Linux reports neither.
    public func decodeValue<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
        try reportingMisfits(type, forKey: key) { try decode(type, forKey: key) }
    }

    /// `decodeIfPresent`, with misfit numbers reported with their key.
    public func decodeValueIfPresent<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value? {
        try reportingMisfits(type, forKey: key) { try decodeIfPresent(type, forKey: key) }
    }

    /// `body`'s result, with a value at `key` that does not fit `type` reported as a misfit.
    private func reportingMisfits<Value, Result>(_ type: Value.Type, forKey key: Key, _ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as AbsoluteSpecificationError {
            throw error
        } catch let error as DecodingError {
            guard case .dataCorrupted = error else { throw error }
            throw misfit(type, forKey: key)
        } catch {
            throw misfit(type, forKey: key)  // Linux: the parser's own error for a number that does not fit
        }
    }

    private func misfit<Value>(_ type: Value.Type, forKey key: Key) -> AbsoluteSpecificationError {
        let number = (try? decode(Double.self, forKey: key)).map { "\($0)" } ?? "the value"
        let expected: String
        switch type {
        case is Int.Type, is Int?.Type: expected = "an integer"
        case is UInt64.Type: expected = "an integer from 0 to \(UInt64.max)"
        case is Float.Type: expected = "a 32-bit number (up to about 3.4e38)"
        default: expected = "a list of numbers of the right kind (integers, or 32-bit numbers up to about 3.4e38)"
        }
        return SpecificationError(
            key: AnyCodingKey.path(codingPath + [key]), reason: "\(number) does not fit: expected \(expected)",
            fix: "give \(expected)"
        ).absolute
    }
}
