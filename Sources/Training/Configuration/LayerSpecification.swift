import Layers
import Tensors

/// The settings of one kind of layer in a pipeline file's `model.layers` (everything but
/// `type`), and how to make the layer. A custom layer becomes usable from pipeline files with a
/// `KeyedSettings` specification (its keys are `@Setting` properties) and one
/// `LayerRegistry.register(_:_:)` call.
///
/// A `Decodable` specification that is not `KeyedSettings` still works: its `CodingKeys` must
/// then list every key (`enum CodingKeys: String, CodingKey, CaseIterable`, with snake_case raw
/// values), and a key in the file that is not among them is an error listing them.
public protocol LayerSpecification: Encodable, Sendable, Equatable {
    /// Every key the layer's JSON object may hold besides `type` (`KeyedSettings` specifications
    /// list theirs as settings instead).
    associatedtype CodingKeys: CodingKey & CaseIterable

    /// Whether a flatten layer goes in front of this one when its input is an image (dense layers).
    var needsFlatInput: Bool { get }

    /// Checks the values that need no data (called when the file is decoded); throws a
    /// `SpecificationError` whose key is relative to the layer (`kernel`).
    func validate() throws

    /// Makes the layer for `context.inputShape` (one sample's shape); throws a
    /// `SpecificationError` when the shape or the values do not fit.
    func makeLayer(in context: inout LayerBuildContext) throws -> any Layer
}

extension LayerSpecification {
    /// Most layers take any shape.
    public var needsFlatInput: Bool { false }

    /// No checks.
    public func validate() throws {}

    /// Whether `other` is the same specification.
    func isEqual(to other: any LayerSpecification) -> Bool {
        (other as? Self) == self
    }
}

extension LayerSpecification where Self: KeyedSettings {
    /// The keys are the settings.
    public typealias CodingKeys = NoCodingKeys

    /// Every setting's rule.
    public func validate() throws(SpecificationError) {
        try validateSettings()
    }
}

/// What a layer specification knows when it makes its layer.
public struct LayerBuildContext {
    /// The shape of one input sample (`[features]` or `[channels, height, width]`).
    public let inputShape: [Int]
    /// The number of classes in the data.
    public let classes: Int
    /// Whether this is the model's last dense layer (whose units default to the class count).
    public let isLastDense: Bool
    /// Draws initial weights (seeded from the run's seed).
    public var generator: RandomGenerator
    /// The model build's parameter budget, which the layers a container builds are charged to.
    var budget: ParameterBudget?

    /// Creates a context.
    public init(inputShape: [Int], classes: Int, isLastDense: Bool, generator: RandomGenerator) {
        self.inputShape = inputShape
        self.classes = classes
        self.isLastDense = isLastDense
        self.generator = generator
    }

    /// Throws unless the input is an image `[channels, height, width]`.
    public func requireImageInput(_ type: String) throws(SpecificationError) {
        guard inputShape.count == 3 else {
            throw SpecificationError(
                key: "type", reason: "\(type) needs images [channels, height, width], but its input is \(inputShape)",
                fix: "remove it for tables, or put it before the flatten and dense layers")
        }
    }
}
