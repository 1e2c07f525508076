import Layers
import Tensors

/// `dense`: a fully connected layer.
public struct DenseSpecification: LayerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case units, weights, bias, initializer
    }
    /// Output units (omitted on the last dense layer: the number of classes).
    public var units: Int?
    /// Initial weights as rows `[input][output]`.
    public var weights: [[Float]]?
    /// Initial bias.
    public var bias: [Float]?
    /// The weight initializer.
    public var initializer: WeightInitializer?

    /// Dense layers flatten images first.
    public var needsFlatInput: Bool { true }

    /// Units must be positive.
    public func validate() throws {
        if let units { try SpecificationError.require(units > 0, "units", units, mustBe: "1 or more") }
    }

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
        return Dense(weight: Tensor(weights).transposed(), bias: Tensor(bias))
    }
}

/// `conv2d`: a 2-D convolution.
public struct Conv2DSpecification: LayerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case filters, kernel, stride, padding, initializer
    }
    /// Output channels.
    public var filters: Int
    /// Window size (default 3).
    public var kernel: Int?
    /// Step (default 1).
    public var stride: Int?
    /// Zero padding (default 0).
    public var padding: Int?
    /// The weight initializer.
    public var initializer: WeightInitializer?

    /// Filters, kernel and stride positive, padding not negative.
    public func validate() throws {
        try SpecificationError.require(filters > 0, "filters", filters, mustBe: "1 or more")
        if let kernel { try SpecificationError.require(kernel > 0, "kernel", kernel, mustBe: "1 or more") }
        if let stride { try SpecificationError.require(stride > 0, "stride", stride, mustBe: "1 or more") }
        if let padding { try SpecificationError.require(padding >= 0, "padding", padding, mustBe: "0 or more") }
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
            weightInitializer: initializer?.initializer, generator: &context.generator)
    }
}

/// The settings shared by `maxpool` and `avgpool`.
public protocol PoolingSpecification: LayerSpecification, Decodable {
    /// Window size (default 2).
    var kernel: Int? { get }
    /// Step (default: the window size).
    var stride: Int? { get }
}

extension PoolingSpecification {
    /// Kernel and stride positive.
    public func validate() throws {
        if let kernel { try SpecificationError.require(kernel > 0, "kernel", kernel, mustBe: "1 or more") }
        if let stride { try SpecificationError.require(stride > 0, "stride", stride, mustBe: "1 or more") }
    }
}

/// `maxpool`: the largest value of each window.
public struct MaxPoolSpecification: PoolingSpecification {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kernel, stride
    }
    /// Window size (default 2).
    public var kernel: Int?
    /// Step (default: the window size).
    public var stride: Int?

    /// The layer for image inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try context.requireImageInput("maxpool")
        return MaxPool2D(kernelSize: kernel ?? 2, stride: stride)
    }
}

/// `avgpool`: the mean of each window.
public struct AvgPoolSpecification: PoolingSpecification {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kernel, stride
    }
    /// Window size (default 2).
    public var kernel: Int?
    /// Step (default: the window size).
    public var stride: Int?

    /// The layer for image inputs.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        try context.requireImageInput("avgpool")
        return AvgPool2D(kernelSize: kernel ?? 2, stride: stride)
    }
}

/// `dropout`.
public struct DropoutSpecification: LayerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case probability
    }
    /// The probability of zeroing an element (default 0.5).
    public var probability: Float?

    /// The probability is in [0, 1).
    public func validate() throws {
        if let probability {
            try SpecificationError.require(probability >= 0 && probability < 1, "probability", probability, mustBe: "a number in [0, 1)")
        }
    }

    /// The layer.
    public func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
        Dropout(probability: probability ?? 0.5)
    }
}

/// `batchnorm`: batch normalisation over the first axis of each sample (features or channels).
public struct BatchNormSpecification: LayerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case momentum, epsilon
    }
    /// The running statistics' update rate (default 0.1).
    public var momentum: Float?
    /// Added to the variance (default 1e-5).
    public var epsilon: Float?

    /// Momentum in [0, 1], epsilon positive.
    public func validate() throws {
        if let momentum { try SpecificationError.require(momentum >= 0 && momentum <= 1, "momentum", momentum, mustBe: "a number in [0, 1]") }
        if let epsilon { try SpecificationError.require(epsilon > 0 && epsilon.isFinite, "epsilon", epsilon, mustBe: "a positive number") }
    }

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
    enum CodingKeys: CodingKey, CaseIterable {
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
        var stringValue: String { switch self {} }
        var intValue: Int? { nil }
    }

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
