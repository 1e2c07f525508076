import Optimizers

extension RunConfiguration {
    /// The optimizer: the common keys here, the kind's own keys (`momentum`, `nesterov` for
    /// `sgd`; `beta1`, `beta2`, `epsilon` for `adam` and `adamw`) in `settings`, all in one JSON object.
    public struct Optimizer: KeyedSettings, Equatable {
        /// A registered kind (`OptimizerRegistry`): `sgd`, `adam` or `adamw`.
        @Setting("type", .registered(in: OptimizerRegistry.table, "optimizer")) public var type = "sgd"
        /// The (initial) learning rate.
        @Setting("learning_rate", .positive("a positive finite number")) public var learningRate: Float = 0.01
        /// The weight decay: an L2 penalty (`sgd`, `adam`; default 0) or decoupled (`adamw`; default 0.01).
        @Setting("weight_decay", .atLeast(0)) public var weightDecay: Float? = nil
        /// Parameters updated without weight decay (`bias`, `batchnorm`; none when absent).
        @Setting("no_weight_decay") public var noWeightDecay: [WeightDecayExemptionChoice]? = nil
        /// Clipping of the gradients' global norm before each update (none when absent).
        @Setting("gradient_clipping") public var gradientClipping: GradientClipping? = nil
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

        /// The common keys' rules, then the kind's own checks, then the weight-decay groups'.
        public func validate() throws(SpecificationError) {
            try validateSettings()
            do { try settings.validate() } catch { throw SpecificationError(error) }
            try checkWeightDecayGroups()
        }

        /// The same kind and values.
        public static func == (left: Optimizer, right: Optimizer) -> Bool {
            left.type == right.type && left.learningRate == right.learningRate && left.weightDecay == right.weightDecay
                && left.noWeightDecay == right.noWeightDecay && left.gradientClipping == right.gradientClipping
                && left.settings.isEqual(to: right.settings)
        }
    }

    /// The learning-rate schedule.
    public struct Schedule: KeyedSettings, Equatable {
        /// `constant`, `step`, `cosine` or `one-cycle`.
        @Setting("type") public var type = ScheduleKind.constant
        /// Step decay: the factor (default 0.1).
        @Setting("factor", .positive()) public var factor: Float? = nil
        /// Step decay: steps between decays (default ten epochs).
        @Setting("every", .atLeast(1)) public var every: Int? = nil
        /// Cosine: the final rate (default 0).
        @Setting("minimum", .atLeast(0)) public var minimum: Float? = nil
        /// A linear warm-up of this many steps before a constant, step or cosine schedule (none when absent).
        @Setting("warmup_steps", .atLeast(1)) public var warmupSteps: Int? = nil
        /// A linear warm-up of this many epochs (instead of `warmup_steps`).
        @Setting("warmup_epochs", .atLeast(1)) public var warmupEpochs: Int? = nil
        /// One-cycle: the share of the run spent rising to the optimizer's rate (default 0.3, PyTorch's `pct_start`).
        @Setting("warmup_fraction", .require("a number above 0 and below 1") { $0 > 0 && $0 < 1 }) public var warmupFraction: Double? = nil
        /// One-cycle: the first rate is the optimizer's divided by this (default 25, PyTorch's `div_factor`).
        @Setting("initial_divisor", .positive()) public var initialDivisor: Double? = nil
        /// One-cycle: the last rate is the first divided by this (default 1e4, PyTorch's `final_div_factor`).
        @Setting("final_divisor", .positive()) public var finalDivisor: Double? = nil

        /// A constant rate.
        public init() {}

        /// Only the keys of this type, then each key's rule (`RunConfiguration+Recipes` checks the warm-up).
        public func validate() throws(SpecificationError) {
            let owners: [(key: String, value: Any?, type: ScheduleKind)] = [
                ("factor", factor, .step), ("every", every, .step), ("minimum", minimum, .cosine),
                ("warmup_fraction", warmupFraction, .oneCycle), ("initial_divisor", initialDivisor, .oneCycle),
                ("final_divisor", finalDivisor, .oneCycle),
            ]
            for owner in owners {
                guard let value = owner.value else { continue }
                try SpecificationError.require(
                    type == owner.type, owner.key, value, mustBe: "absent unless the type is \(owner.type.rawValue)",
                    fix: "remove it or use \"type\": \"\(owner.type.rawValue)\"")
            }
            try checkWarmup()
            try validateSettings()
        }
    }
}
