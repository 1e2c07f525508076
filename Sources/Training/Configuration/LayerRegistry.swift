import Layers

/// The layer types pipeline files can name in `model.layers[].type`. Built-in: `dense`,
/// `conv2d`, `maxpool`, `avgpool`, `global-avgpool`, `flatten`, `relu`, `sigmoid`, `tanh`,
/// `softmax`, `dropout`, `batchnorm`. Thread-safe; register before decoding files that use a name.
///
///     LayerRegistry.register("prelu", PReLUSpecification.self)
///
/// `register(_:_:describing:)` also tells how to describe an instance built in code, so models
/// built as a `Sequential` of such layers can be written as layer entries (`ModelDescription`).
public enum LayerRegistry {
    /// Decodes one layer's specification from its JSON object (after the key check).
    typealias Decode = @Sendable (any Decoder) throws -> any LayerSpecification

    static let table = NameRegistry<Decode>(builtIns(), registrar: "LayerRegistry")

    /// Makes `name` decode into `specification` (its settings are the allowed keys besides `type`).
    public static func register<Specification: LayerSpecification & KeyedSettings>(_ name: String, _ specification: Specification.Type) {
        table.register(name, decoder(for: specification))
    }

    /// Makes `name` decode into `specification` (its `CodingKeys` are the allowed keys besides `type`).
    public static func register<Specification: LayerSpecification & Decodable>(_ name: String, _ specification: Specification.Type) {
        table.register(name, decoder(for: specification))
    }

    /// Registers a layer without settings (its JSON object holds only `type`).
    public static func register(_ name: String, making make: @escaping @Sendable (LayerBuildContext) throws -> any Layer) {
        table.register(name, parameterless(name, make))
    }

    /// The registered names, sorted.
    public static var names: [String] { table.names }

    /// The specification of the layer of type `type` whose JSON object `decoder` is at.
    static func decode(type: String, from decoder: any Decoder) throws -> any LayerSpecification {
        do {
            let decode = try table.entry(
                named: type, key: AnyCodingKey.path(decoder.codingPath + [AnyCodingKey(stringValue: "type")]), what: "layer type")
            return try decode(decoder)
        } catch let error as SpecificationError {
            throw error.absolute
        }
    }

    private static func decoder<Specification: LayerSpecification & KeyedSettings>(for specification: Specification.Type) -> Decode {
        { decoder in
            try decoder.reportingMisfits { try Specification(from: decoder, alsoAllowing: ["type"], keyedMisfits: false) }
        }
    }

    private static func decoder<Specification: LayerSpecification & Decodable>(for specification: Specification.Type) -> Decode {
        { decoder in
            try decoder.rejectUnknownKeys(Specification.CodingKeys.self, extra: ["type"])
            return try decoder.reportingMisfits { try Specification(from: decoder) }
        }
    }

    static func parameterless(_ name: String, _ make: @escaping @Sendable (LayerBuildContext) throws -> any Layer) -> Decode {
        { decoder in
            try decoder.rejectUnknownKeys(allowedNames: ["type"])
            return ParameterlessLayerSpecification(type: name, make: make)
        }
    }

    private static func builtIns() -> [String: Decode] {
        var entries: [String: Decode] = [
            "dense": decoder(for: DenseSpecification.self),
            "conv2d": decoder(for: Conv2DSpecification.self),
            "maxpool": decoder(for: MaxPoolSpecification.self),
            "avgpool": decoder(for: AvgPoolSpecification.self),
            "dropout": decoder(for: DropoutSpecification.self),
            "batchnorm": decoder(for: BatchNormSpecification.self),
            "residual": decoder(for: ResidualSpecification.self),
        ]
        for (name, _, make) in parameterlessBuiltIns() { entries[name] = parameterless(name, make) }
        return entries
    }

    /// The built-in layers without settings: name, Swift type, maker.
    static func parameterlessBuiltIns() -> [(name: String, layer: any Layer.Type, make: @Sendable (LayerBuildContext) throws -> any Layer)] {
        [
            ("relu", ReLU.self, { _ in ReLU() }), ("sigmoid", Sigmoid.self, { _ in Sigmoid() }), ("tanh", Tanh.self, { _ in Tanh() }),
            ("softmax", Softmax.self, { _ in Softmax() }), ("flatten", Flatten.self, { _ in Flatten() }),
            (
                "global-avgpool", GlobalAvgPool.self,
                { context in
                    try context.requireImageInput("global-avgpool")
                    return GlobalAvgPool()
                }
            ),
        ]
    }
}
