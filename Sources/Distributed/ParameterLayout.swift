import Layers

/// Where a model's parameters lie in the step's flat gradient vector, worked out once per
/// `Trainer` (the model and its `Parameter` objects never change; only their values do): the
/// layers in the order they apply, each layer's parameters and width, and the totals.
package struct ParameterLayout {
    /// The layers of the model in the order they apply, nested `Sequential`s opened.
    package let layers: [any Layer]
    /// Each layer's place in the model, numbered as its parameters are (`2`, `1.0`; empty for a
    /// model that is one layer), for errors that name it.
    package let paths: [String]
    /// Each layer's parameters, in visiting order.
    package let layerParameters: [[Parameter]]
    /// Each layer's number of trainable scalars.
    package let widths: [Int]
    /// Every parameter of the model, in the model's visiting order.
    package let parameters: [Parameter]
    /// The number of trainable scalars of the whole model.
    package let parameterCount: Int
    /// Whether the step runs each layer chunk by chunk on its own (`ChunkwiseLayer`): true for a
    /// layer that does not keep to gradient chunks, other than batch normalisation (synchronised).
    package let runsChunkByChunk: [Bool]

    /// The layout of `model`.
    package init(model: any Layer) {
        let leaves = ParameterLayout.leaves(of: model, path: "")
        layers = leaves.map(\.layer)
        paths = leaves.map(\.path)
        layerParameters = layers.map { $0.namedParameters.map(\.parameter) }
        widths = layerParameters.map { $0.reduce(0) { $0 + $1.value.count } }
        parameters = Array(layerParameters.joined())
        parameterCount = widths.reduce(0, +)
        runsChunkByChunk = layers.map { !($0 is BatchNorm) && !$0.keepsToGradientChunks }
    }

    /// The layers of `model` in the order they apply, nested `Sequential`s opened.
    package static func leafLayers(of model: any Layer) -> [any Layer] {
        guard let sequential = model as? Sequential else { return [model] }
        return sequential.layers.flatMap(leafLayers(of:))
    }

    /// The layers of `model` (at `path`) with their paths, nested `Sequential`s opened.
    private static func leaves(of model: any Layer, path: String) -> [(layer: any Layer, path: String)] {
        guard let sequential = model as? Sequential else { return [(model, path)] }
        return sequential.layers.enumerated().flatMap { leaves(of: $1, path: path.isEmpty ? "\($0)" : "\(path).\($0)") }
    }
}
