import Layers
import Tensors

/// Builds a `Sequential` from layer specifications, inferring every layer's input size from the
/// sample shape and the last dense layer's output size from the number of classes, so one file
/// fits any folder of same-sized images or any CSV.
public enum ModelBuilder {
    /// The network for samples of `sampleShape` and `classes` classes (one output unit when the
    /// last dense layer gives `units: 1`). A dense layer after an image-shaped output gets a
    /// flatten layer in front of it automatically.
    public static func build(_ layers: [RunConfiguration.LayerSpecification], sampleShape: [Int], classes: Int, seed: UInt64,
                             path: String = "pipeline") throws(RunConfigurationError) -> Sequential {
        var generator = RandomGenerator(seed: seed, stream: [0x30DE1])
        var shape = sampleShape
        var built: [any Layer] = []
        let lastDense = layers.lastIndex { $0.type == "dense" }
        func fail(_ index: Int, _ reason: String, _ fix: String) -> RunConfigurationError {
            RunConfigurationError(path: path, key: "model.layers[\(index)]", reason: reason, fix: fix)
        }
        func initializer(_ name: String?, index: Int) throws(RunConfigurationError) -> Initializer? {
            switch name {
            case nil, "default": return nil
            case "xavier": return .xavierUniform
            case "he": return .heUniform
            default: throw fail(index, "unknown initializer '\(name!)'", "use default, xavier or he")
            }
        }
        for (index, layer) in layers.enumerated() {
            switch layer.type {
            case "dense":
                if shape.count > 1 {
                    built.append(Flatten())
                    shape = [shape.reduce(1, *)]
                }
                guard let units = layer.units ?? (index == lastDense ? classes : nil), units > 0 else {
                    throw fail(index, "a dense layer before the last needs units", "give it \"units\"")
                }
                if let weights = layer.weights {
                    guard weights.count == shape[0], weights.allSatisfy({ $0.count == units }) else {
                        throw fail(index, "weights must be \(shape[0]) rows of \(units)", "give one row per input")
                    }
                    let bias = layer.bias ?? [Float](repeating: 0, count: units)
                    guard bias.count == units else { throw fail(index, "bias must have \(units) values", "give one per unit") }
                    built.append(Dense(weight: Tensor(weights).transposed(), bias: Tensor(bias)))
                } else {
                    built.append(Dense(inputSize: shape[0], outputSize: units, weightInitializer: try initializer(layer.initializer, index: index),
                                       generator: &generator))
                }
                shape = [units]
            case "conv2d":
                guard shape.count == 3 else { throw fail(index, "conv2d needs images [channels, height, width], the data is \(shape)", "use dense layers for tables") }
                guard let filters = layer.filters, filters > 0 else { throw fail(index, "conv2d needs filters", "give \"filters\"") }
                let kernel = layer.kernel ?? 3, stride = layer.stride ?? 1, padding = layer.padding ?? 0
                let convolution = Conv2D(inputChannels: shape[0], outputChannels: filters, kernelSize: kernel, stride: stride, padding: padding,
                                         weightInitializer: try initializer(layer.initializer, index: index), generator: &generator)
                shape = [filters, (shape[1] + 2 * padding - kernel) / stride + 1, (shape[2] + 2 * padding - kernel) / stride + 1]
                guard shape[1] > 0 && shape[2] > 0 else { throw fail(index, "the images are too small for this kernel", "use a smaller kernel or padding") }
                built.append(convolution)
            case "maxpool", "avgpool":
                guard shape.count == 3 else { throw fail(index, "\(layer.type) needs images", "remove it for tables") }
                let kernel = layer.kernel ?? 2, stride = layer.stride ?? kernel
                guard shape[1] >= kernel && shape[2] >= kernel else { throw fail(index, "the images (\(shape[1])x\(shape[2])) are smaller than the \(kernel)x\(kernel) window", "pool less") }
                built.append(layer.type == "maxpool" ? MaxPool2D(kernelSize: kernel, stride: stride) : AvgPool2D(kernelSize: kernel, stride: stride))
                shape = [shape[0], (shape[1] - kernel) / stride + 1, (shape[2] - kernel) / stride + 1]
            case "global-avgpool":
                guard shape.count == 3 else { throw fail(index, "global-avgpool needs images", "remove it for tables") }
                built.append(GlobalAvgPool())
                shape = [shape[0]]
            case "flatten":
                built.append(Flatten())
                shape = [shape.reduce(1, *)]
            case "relu": built.append(ReLU())
            case "sigmoid": built.append(Sigmoid())
            case "tanh": built.append(Tanh())
            case "softmax": built.append(Softmax())
            case "dropout": built.append(Dropout(probability: layer.probability ?? 0.5))
            case "batchnorm": built.append(BatchNorm(features: shape[0]))
            default: throw fail(index, "unknown layer '\(layer.type)'", "see pipelines/README.md")
            }
        }
        return Sequential(built)
    }
}
