import Optimizers

extension RunConfiguration {
    /// The optimizer: the common keys here, the kind's own keys (`momentum`, `nesterov` for
    /// `sgd`; `beta1`, `beta2`, `epsilon` for `adam`) in `settings`.
    public struct Optimizer: Codable, Sendable, Equatable {
        /// The keys every optimizer takes.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case type
            case learningRate = "learning_rate"
            case weightDecay = "weight_decay"
        }

        /// A registered kind (`OptimizerRegistry`): `sgd` or `adam`.
        public var type: String
        /// The (initial) learning rate.
        public var learningRate: Float
        /// L2 penalty.
        public var weightDecay: Float?
        /// The kind's own settings.
        public var settings: any OptimizerSpecification

        /// Decodes the common keys, then the kind's settings through `OptimizerRegistry`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeValue(String.self, forKey: .type)
            let decode: OptimizerRegistry.Decode
            do { decode = try OptimizerRegistry.table.entry(named: type, key: "optimizer.type", what: "optimizer") } catch { throw error.absolute }
            settings = try decode(decoder)
            learningRate = try container.decodeValue(Float.self, forKey: .learningRate)
            weightDecay = try container.decodeValueIfPresent(Float.self, forKey: .weightDecay)
        }

        /// Encodes the common keys and the settings in one object.
        public func encode(to encoder: any Encoder) throws {
            try settings.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(learningRate, forKey: .learningRate)
            try container.encodeIfPresent(weightDecay, forKey: .weightDecay)
        }

        /// A positive finite rate, a weight decay not negative, the kind's own checks.
        public func validate() throws(SpecificationError) {
            try SpecificationError.require(
                learningRate > 0 && learningRate.isFinite, "learning_rate", learningRate, mustBe: "a positive finite number")
            if let weightDecay {
                try SpecificationError.require(weightDecay >= 0 && weightDecay.isFinite, "weight_decay", weightDecay, mustBe: "0 or more")
            }
            do { try settings.validate() } catch { throw SpecificationError(error) }
        }

        /// The same kind and values.
        public static func == (left: Optimizer, right: Optimizer) -> Bool {
            left.type == right.type && left.learningRate == right.learningRate && left.weightDecay == right.weightDecay
                && left.settings.isEqual(to: right.settings)
        }
    }

    /// The learning-rate schedule.
    public struct Schedule: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case type, factor, every, minimum
        }

        /// `constant`, `step` or `cosine`.
        public var type: ScheduleKind
        /// Step decay: the factor (default 0.1).
        public var factor: Float?
        /// Step decay: steps between decays (default ten epochs).
        public var every: Int?
        /// Cosine: the final rate (default 0).
        public var minimum: Float?

        /// Decodes the section (unknown keys and words are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            type = try container.decodeValue(ScheduleKind.self, forKey: .type)
            factor = try container.decodeValueIfPresent(Float.self, forKey: .factor)
            every = try container.decodeValueIfPresent(Int.self, forKey: .every)
            minimum = try container.decodeValueIfPresent(Float.self, forKey: .minimum)
        }

        /// Values in range, and only the keys of this type.
        public func validate() throws(SpecificationError) {
            if let factor {
                try SpecificationError.require(
                    type == .step, "factor", factor, mustBe: "absent unless the type is step", fix: "remove it or use \"type\": \"step\"")
                try SpecificationError.require(factor > 0 && factor.isFinite, "factor", factor, mustBe: "a positive number")
            }
            if let every {
                try SpecificationError.require(
                    type == .step, "every", every, mustBe: "absent unless the type is step", fix: "remove it or use \"type\": \"step\"")
                try SpecificationError.require(every > 0, "every", every, mustBe: "1 or more")
            }
            if let minimum {
                try SpecificationError.require(
                    type == .cosine, "minimum", minimum, mustBe: "absent unless the type is cosine", fix: "remove it or use \"type\": \"cosine\"")
                try SpecificationError.require(minimum >= 0 && minimum.isFinite, "minimum", minimum, mustBe: "0 or more")
            }
        }
    }
}
