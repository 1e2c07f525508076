import Optimizers

/// The settings of one kind of optimizer in a pipeline file's `optimizer` object besides `type`,
/// `learning_rate` and `weight_decay`, and how to make the optimizer. Register new kinds with
/// `OptimizerRegistry.register(_:_:)`; the keys are `@Setting` properties of a `KeyedSettings`
/// specification (or, for another `Decodable` one, the cases of a `CaseIterable` `CodingKeys`).
public protocol OptimizerSpecification: Encodable, Sendable, Equatable {
    /// The optimizer's own keys (`KeyedSettings` specifications list theirs as settings instead).
    associatedtype CodingKeys: CodingKey & CaseIterable

    /// Checks the values (keys relative to the `optimizer` object).
    func validate() throws

    /// The optimizer.
    func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer

    /// The weight decay when the file gives none.
    var defaultWeightDecay: Float { get }
}

extension OptimizerSpecification {
    /// No checks.
    public func validate() throws {}

    /// 0: no weight decay unless asked.
    public var defaultWeightDecay: Float { 0 }

    /// Whether `other` is the same specification.
    func isEqual(to other: any OptimizerSpecification) -> Bool {
        (other as? Self) == self
    }
}

extension OptimizerSpecification where Self: KeyedSettings {
    /// The keys are the settings.
    public typealias CodingKeys = NoCodingKeys

    /// Every setting's rule.
    public func validate() throws(SpecificationError) {
        try validateSettings()
    }
}

/// `sgd`: stochastic gradient descent with optional (Nesterov) momentum.
public struct SGDSpecification: OptimizerSpecification, KeyedSettings {
    /// The momentum factor (default 0).
    @Setting("momentum", .atLeast(0)) public var momentum: Float? = nil
    /// Nesterov momentum (needs momentum).
    @Setting("nesterov") public var nesterov: Bool? = nil

    /// Plain SGD.
    public init() {}

    /// Momentum not negative; Nesterov only with momentum.
    public func validate() throws(SpecificationError) {
        try validateSettings()
        if nesterov == true {
            try SpecificationError.require(
                (momentum ?? 0) > 0, "nesterov", true, mustBe: "false unless momentum is above 0",
                fix: "give \"momentum\" (such as 0.9) or drop nesterov")
        }
    }

    /// The optimizer.
    public func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer {
        try SGD(learningRate: learningRate, momentum: momentum ?? 0, nesterov: nesterov ?? false, weightDecay: weightDecay)
    }
}

/// `adam`.
public struct AdamSpecification: OptimizerSpecification, KeyedSettings {
    /// The first moment's decay (default 0.9).
    @Setting("beta1", .within(0..<1)) public var beta1: Float? = nil
    /// The second moment's decay (default 0.999).
    @Setting("beta2", .within(0..<1)) public var beta2: Float? = nil
    /// The denominator's guard (default 1e-8).
    @Setting("epsilon", .positive()) public var epsilon: Float? = nil

    /// The defaults.
    public init() {}

    /// The optimizer.
    public func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer {
        Adam(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-8, weightDecay: weightDecay)
    }
}

/// `adamw`: Adam with decoupled weight decay (`weight_decay` default 0.01, as PyTorch's `AdamW`).
public struct AdamWSpecification: OptimizerSpecification, KeyedSettings {
    /// The first moment's decay (default 0.9).
    @Setting("beta1", .within(0..<1)) public var beta1: Float? = nil
    /// The second moment's decay (default 0.999).
    @Setting("beta2", .within(0..<1)) public var beta2: Float? = nil
    /// The denominator's guard (default 1e-8).
    @Setting("epsilon", .positive()) public var epsilon: Float? = nil

    /// The defaults.
    public init() {}

    /// 0.01, as PyTorch's `AdamW`.
    public var defaultWeightDecay: Float { 0.01 }

    /// The optimizer.
    public func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer {
        AdamW(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-8, weightDecay: weightDecay)
    }
}

/// The optimizer kinds pipeline files can name in `optimizer.type` (built-in: `sgd`, `adam`,
/// `adamw`). Thread-safe.
public enum OptimizerRegistry {
    /// Decodes the optimizer's own settings (after the key check).
    typealias Decode = @Sendable (any Decoder) throws -> any OptimizerSpecification

    static let table = NameRegistry<Decode>(
        [
            "sgd": decoder(for: SGDSpecification.self), "adam": decoder(for: AdamSpecification.self),
            "adamw": decoder(for: AdamWSpecification.self),
        ], registrar: "OptimizerRegistry")

    /// Makes `name` decode into `specification` (its settings are the allowed keys besides the common ones).
    public static func register<Specification: OptimizerSpecification & KeyedSettings>(_ name: String, _ specification: Specification.Type) {
        table.register(name, decoder(for: specification))
    }

    /// Makes `name` decode into `specification` (its `CodingKeys` are the allowed keys besides the common ones).
    public static func register<Specification: OptimizerSpecification & Decodable>(_ name: String, _ specification: Specification.Type) {
        table.register(name, decoder(for: specification))
    }

    /// The registered names, sorted.
    public static var names: [String] { table.names }

    /// The settings of the optimizer of kind `type` whose JSON object `decoder` is at.
    static func decode(type: String, from decoder: any Decoder) throws -> any OptimizerSpecification {
        let decode: Decode
        do { decode = try table.entry(named: type, key: "optimizer.type", what: "optimizer") } catch { throw error.absolute }
        return try decode(decoder)
    }

    private static func decoder<Specification: OptimizerSpecification & KeyedSettings>(for specification: Specification.Type) -> Decode {
        { decoder in
            try decoder.reportingMisfits {
                try Specification(from: decoder, alsoAllowing: RunConfiguration.Optimizer.settingKeys, keyedMisfits: false)
            }
        }
    }

    private static func decoder<Specification: OptimizerSpecification & Decodable>(for specification: Specification.Type) -> Decode {
        { decoder in
            try decoder.rejectUnknownKeys(Specification.CodingKeys.self, extra: RunConfiguration.Optimizer.settingKeys)
            return try decoder.reportingMisfits { try Specification(from: decoder) }
        }
    }
}
