import Layers

extension LayerBuildContext {
    /// Builds `entries` for this context's input shape into a `Sequential`: the inner layers of
    /// a container (a residual block's branch, say), made as the model builder makes a model's
    /// (a flatten in front of a dense layer after an image, each layer's input shape from the one
    /// before), their initial weights drawn from this context's generator so the whole model
    /// stays a function of the seed; each entry is validated first. Returns the layers and the shape of their output; a layer
    /// that does not fit throws a `SpecificationError` whose key is `<key>[i]` (the container's
    /// key that lists them: `layers`, `shortcut`).
    public mutating func build(
        _ entries: [RunConfiguration.LayerEntry], key: String = "layers"
    ) throws -> (layers: Sequential, outputShape: [Int]) {
        var shape = inputShape
        var built: [any Layer] = []
        for (index, entry) in entries.enumerated() {
            do {
                // A container's specification need not validate its entries itself.
                try entry.specification.validate()
                if entry.specification.needsFlatInput && shape.count > 1 {
                    built.append(Flatten())
                    shape = [shape.reduce(1, *)]
                }
                built.append(
                    try ModelBuilder.make(
                        entry.specification, shape: &shape, classes: classes, isLastDense: false, generator: &generator, budget: budget))
            } catch {
                throw SpecificationError(error).within("\(key)[\(index)]")
            }
        }
        return (Sequential(built), shape)
    }
}
