extension RunConfiguration {
    /// The network.
    public struct Model: KeyedSettings, Equatable {
        /// The layers, first to last (decoded through `LayerRegistry`: a type nobody registered is an error).
        @Setting("layers") public var layers: [LayerEntry] = []

        /// No layers yet.
        public init() {}

        /// At least one layer, each with values in range.
        public func validate() throws(SpecificationError) {
            guard !layers.isEmpty else { throw SpecificationError(key: "layers", reason: "no layers", fix: "list at least one layer") }
            try layers.validate(key: "layers")
        }
    }

    /// One layer: its registered `type` and the specification the registry decoded for it.
    public struct LayerEntry: Codable, Sendable, Equatable {
        /// The registered type name (`dense`, `conv2d`, ...).
        public var type: String
        /// The layer's settings.
        public var specification: any LayerSpecification

        /// An entry for a specification (for building configurations in code).
        public init(type: String, specification: any LayerSpecification) {
            self.type = type
            self.specification = specification
        }

        /// Decodes `type`, then the settings through `LayerRegistry`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            type = try container.decodeValue(String.self, forKey: AnyCodingKey(stringValue: "type"))
            specification = try LayerRegistry.decode(type: type, from: decoder)
        }

        /// Encodes `type` and the settings in one object.
        public func encode(to encoder: any Encoder) throws {
            try specification.encode(to: encoder)
            var container = encoder.container(keyedBy: AnyCodingKey.self)
            try container.encode(type, forKey: AnyCodingKey(stringValue: "type"))
        }

        /// The same type and settings.
        public static func == (left: LayerEntry, right: LayerEntry) -> Bool {
            left.type == right.type && left.specification.isEqual(to: right.specification)
        }
    }
}

extension SpecificationError {
    /// Any error from user code as a `SpecificationError` (kept as is when it already is one).
    init(_ error: any Error) {
        if let error = error as? SpecificationError {
            self = error
        } else if let error = error as? AbsoluteSpecificationError {
            self = error.error
        } else {
            self.init(key: nil, reason: "\(error)", fix: "see pipelines/README.md")
        }
    }
}

extension Array where Element == RunConfiguration.LayerEntry {
    /// Validates each entry's specification; an error names the entry as `<key>[index]` (a
    /// container's specification validates its inner layers with this: `layers`, `shortcut`).
    public func validate(key: String) throws(SpecificationError) {
        for (index, layer) in enumerated() {
            try SpecificationError.within("\(key)[\(index)]") { () throws(SpecificationError) in
                do { try layer.specification.validate() } catch { throw SpecificationError(error) }
            }
        }
    }
}
