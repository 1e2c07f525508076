import Optimizers

extension RunConfiguration {
    /// The optimizer: the common keys here, the kind's own keys (`momentum`, `nesterov` for
    /// `sgd`; `beta1`, `beta2`, `epsilon` for `adam`) in `settings`, all in one JSON object.
    public struct Optimizer: KeyedSettings, Equatable {
        /// A registered kind (`OptimizerRegistry`): `sgd` or `adam`.
        @Setting("type", .registered(in: OptimizerRegistry.table, "optimizer")) public var type = "sgd"
        /// The (initial) learning rate.
        @Setting("learning_rate", .positive("a positive finite number")) public var learningRate: Float = 0.01
        /// L2 penalty.
        @Setting("weight_decay", .atLeast(0)) public var weightDecay: Float? = nil
        /// The kind's own settings.
        public var settings: any OptimizerSpecification = SGDSpecification()

        /// Plain SGD at 0.01 (the placeholder).
        public init() {}

        /// Decodes `type`, then the kind's settings through `OptimizerRegistry` (which allows the
        /// common keys besides the kind's own), then the common keys.
        public init(from decoder: any Decoder) throws {
            self.init()
            try _type.load(from: decoder.container(keyedBy: AnyCodingKey.self), keyedMisfits: true)
            settings = try OptimizerRegistry.decode(type: type, from: decoder)
            try loadSettings(from: decoder)
        }

        /// Encodes the common keys and the settings in one object.
        public func encode(to encoder: any Encoder) throws {
            try settings.encode(to: encoder)
            try storeSettings(in: encoder)
        }

        /// The common keys' rules, then the kind's own checks.
        public func validate() throws(SpecificationError) {
            try validateSettings()
            do { try settings.validate() } catch { throw SpecificationError(error) }
        }

        /// The same kind and values.
        public static func == (left: Optimizer, right: Optimizer) -> Bool {
            left.type == right.type && left.learningRate == right.learningRate && left.weightDecay == right.weightDecay
                && left.settings.isEqual(to: right.settings)
        }
    }

    /// The learning-rate schedule.
    public struct Schedule: KeyedSettings, Equatable {
        /// `constant`, `step` or `cosine`.
        @Setting("type") public var type = ScheduleKind.constant
        /// Step decay: the factor (default 0.1).
        @Setting("factor", .positive()) public var factor: Float? = nil
        /// Step decay: steps between decays (default ten epochs).
        @Setting("every", .atLeast(1)) public var every: Int? = nil
        /// Cosine: the final rate (default 0).
        @Setting("minimum", .atLeast(0)) public var minimum: Float? = nil

        /// A constant rate.
        public init() {}

        /// Only the keys of this type, then each key's rule.
        public func validate() throws(SpecificationError) {
            let owners: [(key: String, value: Any?, type: ScheduleKind)] = [
                ("factor", factor, .step), ("every", every, .step), ("minimum", minimum, .cosine),
            ]
            for owner in owners {
                guard let value = owner.value else { continue }
                try SpecificationError.require(
                    type == owner.type, owner.key, value, mustBe: "absent unless the type is \(owner.type.rawValue)",
                    fix: "remove it or use \"type\": \"\(owner.type.rawValue)\"")
            }
            try validateSettings()
        }
    }
}
