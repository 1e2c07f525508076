import Layers

/// Where a model's parameters lie in the step's flat gradient vector, worked out once per
/// `Trainer` (the model and its `Parameter` objects never change; only their values do): the
/// leaf layers in the order they apply, each leaf's parameters, width and offset, and the totals.
package struct ParameterLayout {
    /// The leaf layers of the model in the order they apply, containers (`LayerContainer`, such
    /// as `Sequential`) opened; a layer that appears twice is listed once.
    package let layers: [any Layer]
    /// Each leaf's place in the model, numbered as its parameters are (`2`, `1.0`: a container's
    /// sublayers by their `sublayerNames`; empty for a model that is one layer), for errors
    /// that name it.
    package let paths: [String]
    /// Each leaf's parameters, in visiting order.
    package let layerParameters: [[Parameter]]
    /// Each leaf's number of trainable scalars.
    package let widths: [Int]
    /// Where each leaf's parameters begin in the flat gradient.
    package let offsets: [Int]
    /// Every parameter of the model, leaf by leaf.
    package let parameters: [Parameter]
    /// The number of trainable scalars of the whole model.
    package let parameterCount: Int
    /// Whether the step runs each leaf chunk by chunk on its own (`ChunkwiseLayer`): true for a
    /// layer that does not keep to gradient chunks, other than batch normalisation (synchronised).
    package let runsChunkByChunk: [Bool]
    /// Each leaf's place in `layers`, by identity.
    package let leafIndex: [ObjectIdentifier: Int]

    /// The layout of `model`; throws when a container holds parameters of its own, which the step
    /// would not train.
    package init(model: any Layer) throws {
        var leaves: [any Layer] = []
        var leafPaths: [String] = []
        var index: [ObjectIdentifier: Int] = [:]
        func visit(_ layer: any Layer, path: String) throws {
            if let container = layer as? any LayerContainer {
                let inside = container.sublayers.reduce(0) { $0 + $1.parameterCount }
                guard inside == container.parameterCount else {
                    throw ModelStructureError.containerParameters(container: "\(type(of: container))", own: container.parameterCount - inside)
                }
                for (name, sublayer) in zip(container.sublayerNames, container.sublayers) {
                    try visit(sublayer, path: path.isEmpty ? name : "\(path).\(name)")
                }
                return
            }
            guard index[ObjectIdentifier(layer)] == nil else { return }
            index[ObjectIdentifier(layer)] = leaves.count
            leaves.append(layer)
            leafPaths.append(path)
        }
        try visit(model, path: "")
        layers = leaves
        paths = leafPaths
        leafIndex = index
        layerParameters = layers.map { $0.namedParameters.map(\.parameter) }
        widths = layerParameters.map { $0.reduce(0) { $0 + $1.value.count } }
        offsets = Array(widths.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1) }.dropLast())
        parameters = Array(layerParameters.joined())
        parameterCount = widths.reduce(0, +)
        runsChunkByChunk = layers.map { !($0 is BatchNorm) && !$0.keepsToGradientChunks }
    }
}
