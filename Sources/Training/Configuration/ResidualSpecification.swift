import Layers

/// `residual` in a pipeline file's layers: a residual block, `activation(body(x) + shortcut(x))`
/// (He et al. 2016), blocks nesting inside blocks:
///
///     {"type": "residual",
///      "layers": [{"type": "conv2d", "filters": 32, "stride": 2, "padding": 1, "bias": false}, {"type": "batchnorm"},
///                 {"type": "relu"}, {"type": "conv2d", "filters": 32, "padding": 1, "bias": false}, {"type": "batchnorm"}],
///      "shortcut": [{"type": "conv2d", "filters": 32, "kernel": 1, "stride": 2, "bias": false}, {"type": "batchnorm"}],
///      "activation": "relu"}
///
/// `layers` is the body (required, at least one layer); `shortcut` the layers applied to the
/// input (left out: the identity, so the body must keep the shape); `activation` what follows
/// the sum. Errors name the nested key (`model.layers[4].layers[1].filters`).
public struct ResidualSpecification: LayerSpecification, KeyedSettings {
    /// The body's layers (required).
    @Setting("layers") public var layers: [RunConfiguration.LayerEntry] = []
    /// The shortcut's layers (default: none, the identity).
    @Setting("shortcut") public var shortcut: [RunConfiguration.LayerEntry]? = nil
    /// Applied to the sum (default: none).
    @Setting("activation") public var activation: ResidualActivation? = nil

    /// An empty block (a body must be set).
    public init() {}

    /// A body of at least one layer, every inner layer valid.
    public func validate() throws(SpecificationError) {
        try validateSettings()
        try SpecificationError.require(!layers.isEmpty, "layers", "[]", mustBe: "at least one layer", fix: "give the block's body its layers")
        try layers.validate(key: "layers")
        try (shortcut ?? []).validate(key: "shortcut")
    }

    /// The block for this input: body and shortcut built in turn from the context's generator,
    /// their output shapes checked to match.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        let (body, bodyShape) = try context.build(layers, key: "layers")
        let (side, sideShape) = try context.build(shortcut ?? [], key: "shortcut")
        guard bodyShape == sideShape else {
            let what = shortcut == nil ? "the input's shape \(sideShape) (no shortcut: the identity)" : "the shortcut's output \(sideShape)"
            throw SpecificationError(
                key: "layers", reason: "the body turns \(context.inputShape) into \(bodyShape), which cannot be added to \(what)",
                fix: shortcut == nil
                    ? "add a \"shortcut\" (a conv2d with kernel 1 and the body's filters and stride, say) or keep the shape"
                    : "give the body and the shortcut the same filters and stride")
        }
        return Residual(body: body, shortcut: side, activation: activation?.layer)
    }
}

/// `activation` of a `residual` block.
public enum ResidualActivation: String, ConfigurationChoice {
    /// max(0, x), as He et al.'s basic block.
    case relu
    /// The hyperbolic tangent.
    case tanh
    /// The logistic function.
    case sigmoid

    /// The layer.
    var layer: any Layer {
        switch self {
        case .relu: ReLU()
        case .tanh: Tanh()
        case .sigmoid: Sigmoid()
        }
    }

    /// The choice that makes `layer`, or nil for another kind of layer.
    init?(_ layer: any Layer) {
        switch layer {
        case is ReLU: self = .relu
        case is Tanh: self = .tanh
        case is Sigmoid: self = .sigmoid
        default: return nil
        }
    }
}
