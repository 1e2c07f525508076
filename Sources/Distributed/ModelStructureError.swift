/// A model the training step cannot train as written, found at the first step: each case names
/// the layer and says what to change.
public enum ModelStructureError: Error, CustomStringConvertible, Equatable {
    /// A layer that is not a `LayerContainer` ran a `BatchNorm` inside it (the model's leaf
    /// `position`, 0-based, of type `layer`): the step runs such a layer as one opaque unit, chunk
    /// by chunk, so the batch norm would use one chunk's statistics instead of the global batch's.
    case batchNormInsideOpaqueLayer(layer: String, position: Int)
    /// A `LayerContainer` ran a layer that is not among its `sublayers` (nor inside one of them).
    case unlistedLayer(container: String, layer: String)
    /// A layer with parameters ran twice in one step (shared between two places of the model).
    case layerRunTwice(layer: String)
    /// A `LayerContainer` holds `own` trainable scalars of its own, outside its sublayers.
    case containerParameters(container: String, own: Int)

    /// What went wrong and what to do.
    public var description: String {
        switch self {
        case .batchNormInsideOpaqueLayer(let layer, let position):
            return "the model's layer \(position) (\(layer)) runs a BatchNorm inside it, but training cannot open \(layer): it runs it "
                + "chunk by chunk, so the batch norm would normalise with one gradient chunk's statistics instead of the global "
                + "batch's (and its running statistics would depend on the number of ranks). Make \(layer) conform to "
                + "LayerContainer (list its layers in `sublayers` and run them through the runner in `forward(units:runner:)`), "
                + "or move the BatchNorm into a Sequential"
        case .unlistedLayer(let container, let layer):
            return "\(container) ran a \(layer) in training that is not among its sublayers; list every layer that "
                + "forward(units:runner:) runs in `sublayers`"
        case .layerRunTwice(let layer):
            return "a \(layer) with parameters runs twice in one training step (the same layer object in two places of the "
                + "model); training supports no shared layers with parameters: give each place a layer of its own"
        case .containerParameters(let container, let own):
            return "\(container) holds \(own) trainable values of its own besides its sublayers', which training would not "
                + "update; move them into a layer of their own and list it in `sublayers`"
        }
    }
}
