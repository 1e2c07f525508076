import Layers

/// How to describe a layer instance of one Swift class as a layer entry: its registered type
/// name and the specification of an instance (`LayerRegistry.register(_:_:describing:)`).
struct LayerDescriber: Sendable {
    /// The registered type name (`dense`).
    let type: String
    /// The specification of an instance of the class it was registered for.
    let describe: @Sendable (any Layer) throws -> any LayerSpecification

    /// A describer of any layer (the caller keys it by the class it fits).
    init(type: String, describe: @escaping @Sendable (any Layer) throws -> any LayerSpecification) {
        self.type = type
        self.describe = describe
    }

    /// A describer of `Described` instances (any other layer is an error, which the registry's
    /// lookup by exact class never gives it).
    init<Specification: LayerSpecification, Described: Layer & SendableMetatype>(
        type: String, _ describe: @escaping @Sendable (Described) throws -> Specification
    ) {
        self.type = type
        self.describe = { layer in
            guard let layer = layer as? Described else {
                throw SpecificationError(key: nil, reason: "not a \(Described.self)", fix: "register a describer for its class")
            }
            return try describe(layer)
        }
    }

    /// The built-in layers' describers, by class.
    static func builtIns() -> [ObjectIdentifier: LayerDescriber] {
        var table: [ObjectIdentifier: LayerDescriber] = [:]
        func add<Specification: LayerSpecification, Described: Layer & SendableMetatype>(
            _ type: String, _ describe: @escaping @Sendable (Described) throws -> Specification
        ) {
            table[ObjectIdentifier(Described.self)] = LayerDescriber(type: type, describe)
        }
        add("dense", dense)
        add("conv2d", convolution)
        add("residual", residual)
        add("maxpool") { (layer: MaxPool2D) in
            var specification = MaxPoolSpecification()
            (specification.kernel, specification.stride) = (layer.kernelSize, layer.stride)
            return specification
        }
        add("avgpool") { (layer: AvgPool2D) in
            var specification = AvgPoolSpecification()
            (specification.kernel, specification.stride) = (layer.kernelSize, layer.stride)
            return specification
        }
        add("dropout") { (layer: Dropout) in
            var specification = DropoutSpecification()
            specification.probability = layer.probability
            return specification
        }
        add("batchnorm") { (layer: BatchNorm) in
            var specification = BatchNormSpecification()
            (specification.momentum, specification.epsilon) = (layer.momentum, layer.epsilon)
            return specification
        }
        for (name, layer, make) in LayerRegistry.parameterlessBuiltIns() {
            let specification = ParameterlessLayerSpecification(type: name, make: make)
            table[ObjectIdentifier(layer)] = LayerDescriber(type: name, describe: { _ in specification })
        }
        return table
    }

    /// `dense` with the layer's units (its inputs follow from the layer before it).
    private static func dense(_ layer: Dense) throws -> DenseSpecification {
        guard layer.bias != nil else { throw missingBias("dense") }
        var specification = DenseSpecification()
        specification.units = layer.outputSize
        return specification
    }

    /// `conv2d` with the layer's filters, kernel, stride and padding (its input channels follow
    /// from the layer before it).
    private static func convolution(_ layer: Conv2D) throws -> Conv2DSpecification {
        var specification = Conv2DSpecification()
        specification.filters = layer.outputChannels
        (specification.kernel, specification.stride, specification.padding) = (layer.kernelSize, layer.stride, layer.padding)
        if layer.bias == nil { specification.bias = false }
        return specification
    }

    /// `residual` with its branches' entries and its activation.
    private static func residual(_ layer: Residual) throws -> ResidualSpecification {
        var specification = ResidualSpecification()
        specification.layers = try ModelDescription.entries(of: layer.body)
        if !layer.shortcut.layers.isEmpty { specification.shortcut = try ModelDescription.entries(of: layer.shortcut) }
        if let activation = layer.activation {
            guard let choice = ResidualActivation(activation) else {
                throw SpecificationError(
                    key: "activation", reason: "its activation is a \(Swift.type(of: activation)), not one of \(ResidualActivation.allowedWords)",
                    fix: "use one of those, or put the activation after the block")
            }
            specification.activation = choice
        }
        return specification
    }

    /// The error for a layer made with `useBias: false`, which `type` entries always have.
    private static func missingBias(_ type: String) -> SpecificationError {
        SpecificationError(
            key: nil, reason: "it has no bias, and a \(type) entry always makes one",
            fix: "create it with useBias: true, or register a layer type of your own for it")
    }
}
