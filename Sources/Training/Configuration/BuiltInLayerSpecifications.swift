import Layers
import Tensors

/// `dense`: a fully connected layer.
public struct DenseSpecification: LayerSpecification, KeyedSettings {
    /// Output units (omitted on the last dense layer: the number of classes).
    @Setting("units", .atLeast(1)) public var units: Int? = nil
    /// Initial weights as rows `[input][output]`.
    @Setting("weights") public var weights: [[Float]]? = nil
    /// Initial bias.
    @Setting("bias") public var bias: [Float]? = nil
    /// The weight initializer.
    @Setting("initializer") public var initializer: WeightInitializer? = nil

    /// A layer as wide as the classes when last.
    public init() {}

    /// Dense layers flatten images first.
    public var needsFlatInput: Bool { true }

    /// The layer for `[features]` inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        let inputs = context.inputShape.reduce(1, *)
        guard let units = units ?? (context.isLastDense ? context.classes : nil) else {
            throw SpecificationError(key: "units", reason: "a dense layer before the last needs units", fix: "give it \"units\"")
        }
        guard let weights else {
            return Dense(inputSize: inputs, outputSize: units, weightInitializer: initializer?.initializer, generator: &context.generator)
        }
        guard weights.count == inputs, weights.allSatisfy({ $0.count == units }) else {
            throw SpecificationError(
                key: "weights", reason: "must be \(inputs) rows of \(units) values (inputs by units)", fix: "give one row per input")
        }
        let bias = bias ?? [Float](repeating: 0, count: units)
        guard bias.count == units else {
            throw SpecificationError(key: "bias", reason: "has \(bias.count) values for \(units) units", fix: "give one value per unit")
        }
        return try Dense(weight: Tensor(weights).transposed(), bias: Tensor(bias))
    }
}

/// `conv2d`: a 2-D convolution.
public struct Conv2DSpecification: LayerSpecification, KeyedSettings {
    /// Output channels (required).
    @Setting("filters", .atLeast(1)) public var filters = 1
    /// Window size (default 3).
    @Setting("kernel", .atLeast(1)) public var kernel: Int? = nil
    /// Step (default 1).
    @Setting("stride", .atLeast(1)) public var stride: Int? = nil
    /// Zero padding (default 0).
    @Setting("padding", .atLeast(0)) public var padding: Int? = nil
    /// The weight initializer.
    @Setting("initializer") public var initializer: WeightInitializer? = nil
    /// Whether it adds a bias per filter (default true; false before a batch norm, as ResNets do).
    @Setting("bias") public var bias: Bool? = nil

    /// One filter (the placeholder).
    public init() {}

    /// Filters, kernel and stride positive, padding not negative and less than the kernel.
    public func validate() throws(SpecificationError) {
        try validateSettings()
        // A padding of the kernel's size or more gives border windows of padding only.
        if let padding {
            let size = kernel ?? 3
            try SpecificationError.require(padding < size, "padding", padding, mustBe: "less than the kernel (\(size))")
        }
    }

    /// The layer for image inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try context.requireImageInput("conv2d")
        return Conv2D(
            inputChannels: context.inputShape[0], outputChannels: filters, kernelSize: kernel ?? 3, stride: stride ?? 1, padding: padding ?? 0,
            useBias: bias ?? true, weightInitializer: initializer?.initializer, generator: &context.generator)
    }
}

/// The settings shared by `maxpool` and `avgpool`.
public protocol PoolingSpecification: LayerSpecification, KeyedSettings {
    /// Window size (default 2).
    var kernel: Int? { get }
    /// Step (default: the window size).
    var stride: Int? { get }
}

/// `maxpool`: the largest value of each window.
public struct MaxPoolSpecification: PoolingSpecification {
    /// Window size (default 2).
    @Setting("kernel", .atLeast(1)) public var kernel: Int? = nil
    /// Step (default: the window size).
    @Setting("stride", .atLeast(1)) public var stride: Int? = nil

    /// 2x2 windows.
    public init() {}

    /// The layer for image inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try context.requireImageInput("maxpool")
        return MaxPool2D(kernelSize: kernel ?? 2, stride: stride)
    }
}

/// `avgpool`: the mean of each window.
public struct AvgPoolSpecification: PoolingSpecification {
    /// Window size (default 2).
    @Setting("kernel", .atLeast(1)) public var kernel: Int? = nil
    /// Step (default: the window size).
    @Setting("stride", .atLeast(1)) public var stride: Int? = nil

    /// 2x2 windows.
    public init() {}

    /// The layer for image inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try context.requireImageInput("avgpool")
        return AvgPool2D(kernelSize: kernel ?? 2, stride: stride)
    }
}

/// `dropout`.
public struct DropoutSpecification: LayerSpecification, KeyedSettings {
    /// The probability of zeroing an element (default 0.5).
    @Setting("probability", .within(0..<1)) public var probability: Float? = nil

    /// Half the elements.
    public init() {}

    /// The layer.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try Dropout(probability: probability ?? 0.5)
    }
}

/// `batchnorm`: batch normalisation over the first axis of each sample (features or channels).
public struct BatchNormSpecification: LayerSpecification, KeyedSettings {
    /// The running statistics' update rate (default 0.1).
    @Setting("momentum", .within(0...1)) public var momentum: Float? = nil
    /// Added to the variance (default 1e-5).
    @Setting("epsilon", .positive()) public var epsilon: Float? = nil

    /// The defaults.
    public init() {}

    /// The layer for `inputShape[0]` features.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        guard context.inputShape.count == 1 || context.inputShape.count == 3 else {
            throw SpecificationError(
                key: "type", reason: "batchnorm needs [features] or [channels, height, width], its input is \(context.inputShape)",
                fix: "move it")
        }
        return BatchNorm(features: context.inputShape[0], momentum: momentum ?? 0.1, epsilon: epsilon ?? 1e-5)
    }
}

/// A layer without settings (`relu`, `flatten`, ...), made by a closure.
struct ParameterlessLayerSpecification: LayerSpecification {
    typealias CodingKeys = NoCodingKeys

    let type: String
    let make: @Sendable (LayerBuildContext) throws -> any Layer

    static func == (left: Self, right: Self) -> Bool { left.type == right.type }

    func encode(to encoder: any Encoder) throws {}

    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try make(context)
    }
}

extension WeightInitializer {
    /// The tensor initializer (nil: the layer's default).
    var initializer: Initializer? {
        switch self {
        case .default: return nil
        case .xavier: return .xavierUniform
        case .he: return .heUniform
        }
    }
}
