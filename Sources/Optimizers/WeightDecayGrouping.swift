import Layers
import Tensors

/// An optimizer with weight decay whose parameters fall in two groups, as PyTorch's common
/// recipe of two parameter groups, `[{"params": decayed}, {"params": others, "weight_decay": 0}]`:
/// the parameters named in `undecayedParameters` are updated without weight decay, the others
/// with `weightDecay`. The state stays keyed by parameter name. `SGD`, `Adam` and `AdamW` conform;
/// `WeightDecayExemptions` finds the biases and batch-norm parameters of a model.
public protocol WeightDecayGrouping: Optimizer {
    /// The weight decay of the decayed group.
    var weightDecay: Float { get }
    /// The dotted names of the parameters updated without weight decay.
    var undecayedParameters: Set<String> { get set }
}

extension WeightDecayGrouping {
    /// The weight decay of the parameter called `name`: 0 in the undecayed group.
    public func weightDecay(of name: String) -> Float {
        undecayedParameters.contains(name) ? 0 : weightDecay
    }
}

/// Which parameters of a model to leave out of weight decay (`WeightDecayGrouping`).
public struct WeightDecayExemptions: OptionSet, Sendable, Hashable {
    /// The bits.
    public let rawValue: Int

    /// Creates the set from its bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Every parameter called `bias` (a dotted name ending in `.bias`), as PyTorch recipes pick
    /// them with `name.endswith("bias")`.
    public static let biases = WeightDecayExemptions(rawValue: 1)
    /// The weight (scale) and bias (shift) of every `BatchNorm`, at the top of the model or
    /// inside containers (`LayerContainer`), found by the layer's type whatever its name.
    public static let batchNorm = WeightDecayExemptions(rawValue: 2)

    /// The dotted names of `model`'s parameters these exemptions leave out, for
    /// `WeightDecayGrouping.undecayedParameters`.
    public func parameterNames(in model: any Layer) -> Set<String> {
        var normalization = Set<ObjectIdentifier>()
        if contains(.batchNorm) { Self.collectBatchNormParameters(of: model, into: &normalization) }
        var names = Set<String>()
        model.visitParameters { name, parameter in
            let isBias = name == "bias" || name.hasSuffix(".bias")
            if (contains(.biases) && isBias) || normalization.contains(ObjectIdentifier(parameter)) { names.insert(name) }
        }
        return names
    }

    /// The parameters of every batch norm in `layer` (the layer itself or, in a container, its
    /// sublayers at any depth).
    private static func collectBatchNormParameters(of layer: any Layer, into found: inout Set<ObjectIdentifier>) {
        if let batchNorm = layer as? BatchNorm {
            found.insert(ObjectIdentifier(batchNorm.weight))
            found.insert(ObjectIdentifier(batchNorm.bias))
        } else if let container = layer as? any LayerContainer {
            for sublayer in container.sublayers { collectBatchNormParameters(of: sublayer, into: &found) }
        }
    }
}
