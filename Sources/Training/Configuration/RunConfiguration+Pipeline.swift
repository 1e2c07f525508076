import DataPipeline

extension RunConfiguration {
    /// How samples become batches.
    public struct Pipeline: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case batchSize = "batch_size"
            case shuffle, threads, prefetch
            case windowChunks = "window_chunks"
            case augmentations
            case skipBadFraction = "skip_bad_fraction"
        }

        /// Samples per batch (`0`: the whole training set, for full-batch gradient descent).
        public var batchSize: Int
        /// Whether to shuffle every epoch.
        public var shuffle: Bool?
        /// Decode threads.
        public var threads: Int?
        /// Batches prepared ahead.
        public var prefetch: Int?
        /// Chunks shuffled together (streaming CSV).
        public var windowChunks: Int?
        /// Per-sample transforms: `{"normalize": {"mean": [..], "std": [..]}}`, `{"flip": 0.5}`, `{"crop_padding": 4}`.
        public var augmentations: [Augmentation]?
        /// A fraction of samples that may be skipped (for example `0.01`) instead of failing.
        public var skipBadFraction: Double?

        /// Decodes the section (unknown keys are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            batchSize = try container.decodeValue(Int.self, forKey: .batchSize)
            shuffle = try container.decodeValueIfPresent(Bool.self, forKey: .shuffle)
            threads = try container.decodeValueIfPresent(Int.self, forKey: .threads)
            prefetch = try container.decodeValueIfPresent(Int.self, forKey: .prefetch)
            windowChunks = try container.decodeValueIfPresent(Int.self, forKey: .windowChunks)
            augmentations = try container.decodeValueIfPresent([Augmentation].self, forKey: .augmentations)
            skipBadFraction = try container.decodeValueIfPresent(Double.self, forKey: .skipBadFraction)
        }

        /// Counts in range, every augmentation valid.
        public func validate() throws(SpecificationError) {
            try SpecificationError.require(batchSize >= 0, "batch_size", batchSize, mustBe: "0 (the whole set) or more")
            if let threads { try SpecificationError.require(threads > 0, "threads", threads, mustBe: "1 or more") }
            if let prefetch { try SpecificationError.require(prefetch > 0, "prefetch", prefetch, mustBe: "1 or more") }
            if let windowChunks { try SpecificationError.require(windowChunks > 0, "window_chunks", windowChunks, mustBe: "1 or more") }
            if let skipBadFraction {
                try SpecificationError.require(
                    skipBadFraction >= 0 && skipBadFraction <= 1, "skip_bad_fraction", skipBadFraction, mustBe: "a number in [0, 1]")
            }
            for (index, augmentation) in (augmentations ?? []).enumerated() {
                try SpecificationError.within("augmentations[\(index)]") { () throws(SpecificationError) in try augmentation.validate() }
                // Normalisation is preprocessing (applied in validation, evaluation and prediction
                // too, before any random augmentation): only the first entry may normalise.
                try SpecificationError.require(
                    index == 0 || augmentation.normalize == nil, "augmentations[\(index)].normalize", "normalize",
                    mustBe: "the first augmentation (normalisation is preprocessing and comes first)",
                    fix: "move the normalize entry to the start of the list")
            }
        }

        /// The augmentations as the data pipeline's transforms, in order.
        public var sampleTransforms: [SampleTransform] {
            (augmentations ?? []).compactMap(\.transform)
        }
    }

    /// One augmentation: exactly one of `normalize`, `flip`, `crop_padding`.
    public struct Augmentation: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case normalize, flip
            case cropPadding = "crop_padding"
        }

        /// Normalisation.
        public struct Normalize: Codable, Sendable, Equatable {
            /// The keys.
            public enum CodingKeys: String, CodingKey, CaseIterable {
                case mean, std
            }
            /// Means per channel (or one for all).
            public var mean: [Float]
            /// Standard deviations per channel (or one for all).
            public var std: [Float]

            /// Decodes the object (unknown keys are errors).
            public init(from decoder: any Decoder) throws {
                let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
                mean = try container.decodeValue([Float].self, forKey: .mean)
                std = try container.decodeValue([Float].self, forKey: .std)
            }

            /// Non-empty lists of equal length, finite means, positive finite deviations.
            public func validate() throws(SpecificationError) {
                try SpecificationError.require(!mean.isEmpty, "mean", mean, mustBe: "one value, or one per channel")
                try SpecificationError.require(!std.isEmpty, "std", std, mustBe: "one value, or one per channel")
                try SpecificationError.require(mean.count == std.count, "std", std, mustBe: "as many values as mean (\(mean.count))")
                try SpecificationError.require(mean.allSatisfy(\.isFinite), "mean", mean, mustBe: "finite numbers")
                try SpecificationError.require(std.allSatisfy { $0 > 0 && $0.isFinite }, "std", std, mustBe: "positive finite numbers")
            }
        }

        /// `(x - mean) / std` per channel.
        public var normalize: Normalize?
        /// Horizontal flip probability.
        public var flip: Float?
        /// Random crop with this much zero padding.
        public var cropPadding: Int?

        /// Decodes the object (unknown keys are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            normalize = try container.decodeValueIfPresent(Normalize.self, forKey: .normalize)
            flip = try container.decodeValueIfPresent(Float.self, forKey: .flip)
            cropPadding = try container.decodeValueIfPresent(Int.self, forKey: .cropPadding)
        }

        /// Exactly one transform, with a value in range.
        public func validate() throws(SpecificationError) {
            let given = [normalize.map { _ in "normalize" }, flip.map { _ in "flip" }, cropPadding.map { _ in "crop_padding" }].compactMap { $0 }
            guard given.count == 1 else {
                throw SpecificationError(
                    key: nil,
                    reason: given.isEmpty
                        ? "an augmentation with no transform" : "one augmentation with several transforms (\(given.joined(separator: ", ")))",
                    fix: "give exactly one of normalize, flip, crop_padding per list entry")
            }
            if let normalize { try SpecificationError.within("normalize") { () throws(SpecificationError) in try normalize.validate() } }
            if let flip { try SpecificationError.require(flip >= 0 && flip <= 1, "flip", flip, mustBe: "a probability in [0, 1]") }
            if let cropPadding { try SpecificationError.require(cropPadding >= 0, "crop_padding", cropPadding, mustBe: "0 or more") }
        }

        /// The data pipeline's transform.
        public var transform: SampleTransform? {
            if let normalize { return .normalize(mean: normalize.mean, standardDeviation: normalize.std) }
            if let flip { return .randomHorizontalFlip(probability: flip) }
            if let cropPadding { return .randomCrop(padding: cropPadding) }
            return nil
        }
    }
}
