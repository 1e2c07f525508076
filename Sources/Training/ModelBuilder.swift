import Layers
import SystemIO
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
    /// Parameters (with their gradients, allocated with them) are counted before each layer is
    /// made, with overflow checks, against `memoryLimit` bytes (default: the memory available).
    public static func assemble(
        _ layers: [RunConfiguration.LayerEntry], sampleShape: [Int], classes: Int, seed: UInt64,
        path: String = "pipeline", memoryLimit: Int? = nil
    ) throws(RunConfigurationError) -> Assembly {
        let budget = (memoryLimit.map { MemoryAvailable(source: "--memory-limit", bytes: $0) } ?? MemoryAvailable.current()).map(ParameterBudget.init)
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
                built.append(
                    try make(
                        entry.specification, shape: &shape, classes: classes, isLastDense: index == lastDense, generator: &generator,
                        budget: budget))
            } catch {
                let problem = SpecificationError(error).within("model.layers[\(index)]")
                throw RunConfigurationError(path: path, key: problem.key, reason: problem.reason, fix: problem.fix)
            }
        }
        return Assembly(model: Sequential(built), inputShapes: inputShapes, outputShape: shape)
    }

    /// Makes the layer of `specification` for input `shape` (which becomes its output shape),
    /// drawing initial weights from `generator`, after charging its parameters to `budget`
    /// (which the layers it builds inside it are charged to as well).
    static func make(
        _ specification: any LayerSpecification, shape: inout [Int], classes: Int, isLastDense: Bool, generator: inout RandomGenerator,
        budget: ParameterBudget?
    ) throws -> any Layer {
        try budget?.charge(specification, inputShape: shape, classes: classes)
        var context = LayerBuildContext(inputShape: shape, classes: classes, isLastDense: isLastDense, generator: generator)
        context.budget = budget
        let layer = try specification.makeLayer(in: &context)
        generator = context.generator
        do { shape = try layer.outputShape(forInputShape: shape) } catch {
            throw SpecificationError(key: nil, reason: error.reason, fix: error.fix)
        }
        return layer
    }

    /// The bytes of values and gradients a built-in layer with parameters allocates for
    /// `inputShape` (0 for other layers), computed with overflow checks (`Int.max` beyond 64 bits).
    static func parameterBytesBeforeMaking(_ specification: any LayerSpecification, inputShape: [Int], classes: Int) -> Int {
        let multiply = MemoryEstimate.multiply
        let count: Int
        if let dense = specification as? DenseSpecification {
            let units = dense.units ?? classes
            count = MemoryEstimate.add(multiply(MemoryEstimate.count(inputShape), units), units)
        } else if let convolution = specification as? Conv2DSpecification, inputShape.count == 3 {
            let kernel = convolution.kernel ?? 3
            let weights = multiply(multiply(multiply(convolution.filters, inputShape[0]), kernel), kernel)
            count = MemoryEstimate.add(weights, convolution.filters)
        } else if specification is BatchNormSpecification {
            count = multiply(inputShape.first ?? 0, 4)
        } else {
            return 0
        }
        return multiply(count, 2 * MemoryLayout<Float>.size)
    }
}
