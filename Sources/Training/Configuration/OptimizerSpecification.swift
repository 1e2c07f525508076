import Optimizers

/// The settings of one kind of optimizer in a pipeline file's `optimizer` object besides `type`,
/// `learning_rate` and `weight_decay`, and how to make the optimizer. Register new kinds with
/// `OptimizerRegistry.register(_:_:)`; `CodingKeys` lists the allowed keys.
public protocol OptimizerSpecification: Encodable, Sendable, Equatable {
    /// The optimizer's own keys.
    associatedtype CodingKeys: CodingKey & CaseIterable

    /// Checks the values (keys relative to the `optimizer` object).
    func validate() throws

    /// The optimizer.
    func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer
}

extension OptimizerSpecification {
    /// No checks.
    public func validate() throws {}

    /// Whether `other` is the same specification.
    func isEqual(to other: any OptimizerSpecification) -> Bool {
        (other as? Self) == self
    }
}

/// `sgd`: stochastic gradient descent with optional (Nesterov) momentum.
public struct SGDSpecification: OptimizerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case momentum, nesterov
    }
    /// The momentum factor (default 0).
    public var momentum: Float?
    /// Nesterov momentum (needs momentum).
    public var nesterov: Bool?

    /// Momentum not negative; Nesterov only with momentum.
    public func validate() throws {
        if let momentum { try SpecificationError.require(momentum >= 0 && momentum.isFinite, "momentum", momentum, mustBe: "0 or more") }
        if nesterov == true {
            try SpecificationError.require(
                (momentum ?? 0) > 0, "nesterov", true, mustBe: "false unless momentum is above 0",
                fix: "give \"momentum\" (such as 0.9) or drop nesterov")
        }
    }

    /// The optimizer.
    public func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer {
        SGD(learningRate: learningRate, momentum: momentum ?? 0, nesterov: nesterov ?? false, weightDecay: weightDecay)
    }
}

/// `adam`.
public struct AdamSpecification: OptimizerSpecification, Decodable {
    /// The keys.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case beta1, beta2, epsilon
    }
    /// The first moment's decay (default 0.9).
    public var beta1: Float?
    /// The second moment's decay (default 0.999).
    public var beta2: Float?
    /// The denominator's guard (default 1e-8).
    public var epsilon: Float?

    /// Betas in [0, 1), epsilon positive.
    public func validate() throws {
        if let beta1 { try SpecificationError.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, mustBe: "a number in [0, 1)") }
        if let beta2 { try SpecificationError.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, mustBe: "a number in [0, 1)") }
        if let epsilon { try SpecificationError.require(epsilon > 0 && epsilon.isFinite, "epsilon", epsilon, mustBe: "a positive number") }
    }

    /// The optimizer.
    public func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizer {
        Adam(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-8, weightDecay: weightDecay)
    }
}

/// The optimizer kinds pipeline files can name in `optimizer.type` (built-in: `sgd`, `adam`).
/// Thread-safe.
public enum OptimizerRegistry {
    /// Decodes the optimizer's own settings (after the key check).
    typealias Decode = @Sendable (any Decoder) throws -> any OptimizerSpecification

    static let table = NameRegistry<Decode>(["sgd": decoder(for: SGDSpecification.self), "adam": decoder(for: AdamSpecification.self)])

    /// Makes `name` decode into `specification`.
    public static func register<Specification: OptimizerSpecification & Decodable>(_ name: String, _ specification: Specification.Type) {
        table.register(name, decoder(for: specification))
    }

    /// The registered names, sorted.
    public static var names: [String] { table.names }

    private static func decoder<Specification: OptimizerSpecification & Decodable>(for specification: Specification.Type) -> Decode {
        { decoder in
            try decoder.rejectUnknownKeys(Specification.CodingKeys.self, extra: RunConfiguration.Optimizer.CodingKeys.allCases.map(\.stringValue))
            return try decoder.reportingMisfits { try Specification(from: decoder) }
        }
    }
}
