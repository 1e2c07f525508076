import Layers
import Synchronization

/// Layers built in code, described back as layer entries (`ModelDescription`): one call
/// registers a layer type for pipeline files and tells how to describe an instance of its Swift
/// class, so a model built in code saves its architecture in its checkpoints and loads again in
/// `TrainedModel.load`, `evaluate` and `predict`:
///
///     LayerRegistry.register("prelu", PReLUSpecification.self, describing: { (layer: PReLU) in
///         var specification = PReLUSpecification()
///         specification.initialSlope = 0.25
///         return specification
///     })
///
/// The specification must make a layer with the same parameters and buffers (names and shapes)
/// for the input the instance takes; their values come from the checkpoint, so the settings that
/// only give initial values (here the slope) need not be the instance's. (`SendableMetatype`
/// asks nothing of an ordinary layer class: the describer runs on any thread.)
extension LayerRegistry {
    /// How to describe instances of each Swift class, by its `ObjectIdentifier` (exact class).
    static let describers = Mutex<[ObjectIdentifier: LayerDescriber]>(LayerDescriber.builtIns())

    /// Makes `name` decode into `specification` (its settings are the allowed keys besides
    /// `type`) and describes each `Described` layer as `name` with the specification `describe`
    /// returns (it may throw when an instance cannot be described: the error's text is reported).
    /// Instances of exactly `Described` are described this way (a subclass needs its own call).
    public static func register<Specification: LayerSpecification & KeyedSettings, Described: Layer & SendableMetatype>(
        _ name: String, _ specification: Specification.Type,
        describing describe: @escaping @Sendable (Described) throws -> Specification
    ) {
        register(name, specification)
        registerDescriber(name, describe)
    }

    /// Makes `name` decode into `specification` (its `CodingKeys` are the allowed keys besides
    /// `type`) and describes each `Described` layer as `name` with the specification `describe` returns.
    public static func register<Specification: LayerSpecification & Decodable, Described: Layer & SendableMetatype>(
        _ name: String, _ specification: Specification.Type,
        describing describe: @escaping @Sendable (Described) throws -> Specification
    ) {
        register(name, specification)
        registerDescriber(name, describe)
    }

    /// Registers a layer without settings (its JSON object holds only `type`) and describes each
    /// `layer` instance as `{"type": name}`:
    ///
    ///     LayerRegistry.register("swish", layer: Swish.self, making: { _ in Swish() })
    public static func register<Described: Layer & SendableMetatype>(
        _ name: String, layer: Described.Type, making make: @escaping @Sendable (LayerBuildContext) throws -> Described
    ) {
        let makeAny: @Sendable (LayerBuildContext) throws -> any Layer = { try make($0) }
        register(name, making: makeAny)
        registerDescriber(name) { (_: Described) in ParameterlessLayerSpecification(type: name, make: makeAny) }
    }

    /// The describer of `layer`'s exact class, if one was registered.
    static func describer(of layer: any Layer) -> LayerDescriber? {
        let key = ObjectIdentifier(type(of: layer))
        return describers.withLock { $0[key] }
    }

    private static func registerDescriber<Specification: LayerSpecification, Described: Layer & SendableMetatype>(
        _ name: String, _ describe: @escaping @Sendable (Described) throws -> Specification
    ) {
        let describer = LayerDescriber(type: name, describe)
        describers.withLock { $0[ObjectIdentifier(Described.self)] = describer }
    }
}
