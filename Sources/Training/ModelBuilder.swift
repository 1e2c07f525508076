import Layers
import Tensors

/// Builds a `Sequential` from layer entries, inferring every layer's input shape from the sample
/// shape (each layer reports its output shape) and the last dense layer's output size from the
/// number of classes, so one file fits any folder of same-sized images or any CSV.
public enum ModelBuilder {
    /// A built network and the shapes it was built for.
    public struct Assembly {
        /// The network.
        public var model: Sequential
        /// The input shape of each entry's layer, by entry index.
        public var inputShapes: [[Int]]
        /// The shape of one output sample.
        public var outputShape: [Int]
    }

    /// The network for samples of `sampleShape` and `classes` classes (one output unit when the
    /// last dense layer gives `units: 1`). A layer that needs flat input (dense) after an
    /// image-shaped output gets a flatten layer in front of it automatically.
    public static func build(
        _ layers: [RunConfiguration.LayerEntry], sampleShape: [Int], classes: Int, seed: UInt64,
        path: String = "pipeline"
    ) throws(RunConfigurationError) -> Sequential {
        try assemble(layers, sampleShape: sampleShape, classes: classes, seed: seed, path: path).model
    }

    /// The network with every entry's input shape and the output shape.
    public static func assemble(
        _ layers: [RunConfiguration.LayerEntry], sampleShape: [Int], classes: Int, seed: UInt64,
        path: String = "pipeline"
    ) throws(RunConfigurationError) -> Assembly {
        var generator = RandomGenerator(seed: seed, stream: [0x30DE1])
        var shape = sampleShape
        var built: [any Layer] = []
        var inputShapes: [[Int]] = []
        let lastDense = layers.lastIndex { $0.specification is DenseSpecification }
        for (index, entry) in layers.enumerated() {
            do {
                if entry.specification.needsFlatInput && shape.count > 1 {
                    built.append(Flatten())
                    shape = [shape.reduce(1, *)]
                }
                inputShapes.append(shape)
                var context = LayerBuildContext(inputShape: shape, classes: classes, isLastDense: index == lastDense, generator: generator)
                let layer = try entry.specification.makeLayer(in: &context)
                generator = context.generator
                do { shape = try layer.outputShape(forInputShape: shape) } catch {
                    throw SpecificationError(key: nil, reason: error.reason, fix: error.fix)
                }
                built.append(layer)
            } catch {
                let problem = SpecificationError(error).within("model.layers[\(index)]")
                throw RunConfigurationError(path: path, key: problem.key, reason: problem.reason, fix: problem.fix)
            }
        }
        return Assembly(model: Sequential(built), inputShapes: inputShapes, outputShape: shape)
    }
}
