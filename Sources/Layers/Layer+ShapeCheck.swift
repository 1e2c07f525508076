import Tensors

extension Layer {
    /// Throws unless this layer takes input of sample shape `shape` (its
    /// `outputShape(forInputShape:)` does not throw); the error names the layer by `path` (as its
    /// parameters are numbered; empty for a model that is this layer) and type, `shape`, and the
    /// data's `sampleShape`. Training, evaluation and prediction call it for every layer before
    /// running it, so a shape mistake is an error instead of a trap inside the layer.
    public func checkInputShape(_ shape: [Int], at path: String, sampleShape: [Int]) throws(LayerShapeError) {
        do { _ = try outputShape(forInputShape: shape) } catch {
            var located = error
            located.layerPath = path
            located.layerType = "\(type(of: self))"
            located.inputShape = shape
            located.sampleShape = sampleShape
            throw located
        }
    }

    /// The output for `input` (`[batch, ...sample shape]`) in inference mode, each layer
    /// (nested `Sequential`s opened) checked with `checkInputShape(_:at:sampleShape:)` before it
    /// runs: a layer that cannot take its input throws a `LayerShapeError` naming it instead of
    /// trapping. A custom container is checked as one layer, through its own `outputShape`.
    /// An `input` of rank 0 (no batch axis) is refused the same way.
    public func checkedOutput(for input: Tensor, context: ForwardContext = ForwardContext(isTraining: false)) throws(LayerShapeError) -> Tensor {
        guard input.rank >= 1 else {
            var error = LayerShapeError(reason: "the input is a single value of shape [], with no batch axis", fix: "give [batch, ...sample shape]")
            (error.layerPath, error.layerType, error.inputShape) = ("", "\(type(of: self))", [])
            throw error
        }
        return try checkedLayerOutput(of: self, for: input, path: "", sampleShape: Array(input.shape.dropFirst()), context: context)
    }
}

/// `layer`'s output for `input`, every layer checked before it runs; `path` is `layer`'s.
private func checkedLayerOutput(
    of layer: any Layer, for input: Tensor, path: String, sampleShape: [Int], context: ForwardContext
) throws(LayerShapeError) -> Tensor {
    if let sequential = layer as? Sequential {
        var output = input
        for (index, inner) in sequential.layers.enumerated() {
            let innerPath = path.isEmpty ? "\(index)" : "\(path).\(index)"
            output = try checkedLayerOutput(of: inner, for: output, path: innerPath, sampleShape: sampleShape, context: context)
        }
        return output
    }
    try layer.checkInputShape(Array(input.shape.dropFirst()), at: path, sampleShape: sampleShape)
    let requested = context.requiresInputGradient
    defer { context.requiresInputGradient = requested }
    context.requireInputGradient(false, for: layer)  // no pullback runs
    return layer.forward(input, context: context).output
}
