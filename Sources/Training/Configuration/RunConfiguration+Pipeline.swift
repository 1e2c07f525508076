import DataPipeline

extension RunConfiguration {
    /// How samples become batches.
    public struct Pipeline: KeyedSettings, Equatable {
        /// Samples per batch (`0`: the whole training set, for full-batch gradient descent).
        @Setting("batch_size", .atLeast(0, "0 (the whole set) or more")) public var batchSize = 0
        /// Whether to shuffle every epoch.
        @Setting("shuffle") public var shuffle: Bool? = nil
        /// How shuffled samples are ordered: `shuffle` (the default: one permutation of each epoch)
        /// or `page_aware` (decoded packs: windows of consecutive pages, FFCV's quasi-random order).
        @Setting("order") public var order: SampleOrderChoice? = nil
        /// Pages of 4096 bytes per window of the `page_aware` order (default 2048: 8 MiB).
        @Setting("window_pages", .atLeast(1)) public var windowPages: Int? = nil
        /// Decode threads.
        @Setting("threads", .atLeast(1)) public var threads: Int? = nil
        /// Batches prepared ahead.
        @Setting("prefetch", .atLeast(1)) public var prefetch: Int? = nil
        /// Chunks shuffled together (streaming CSV).
        @Setting("window_chunks", .atLeast(1)) public var windowChunks: Int? = nil
        /// Per-sample transforms: `{"normalize": {"mean": [..], "std": [..]}}`, `{"flip": 0.5}`, `{"crop_padding": 4}`,
        /// `{"random_resized_crop": {"scale": [0.08, 1], "ratio": [0.75, 1.3333]}}`,
        /// `{"color_jitter": {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4}}`, `{"rotation": 15}`.
        @Setting("augmentations") public var augmentations: [Augmentation]? = nil
        /// A fraction of samples that may be skipped (for example `0.01`) instead of failing.
        @Setting("skip_bad_fraction", .within(0...1)) public var skipBadFraction: Double? = nil

        /// Whole-set batches (the placeholder).
        public init() {}

        /// Each key's rule and augmentation; normalisation only first.
        public func validate() throws(SpecificationError) {
            try validateSettings()
            try SpecificationError.require(
                windowPages == nil || order == .pageAware, "window_pages", windowPages ?? 0, mustBe: "given only with order page_aware",
                fix: "add \"order\": \"page_aware\" or remove window_pages")
            try SpecificationError.require(
                order != .pageAware || shuffle != false, "order", "page_aware", mustBe: "used with shuffling (shuffle is false)",
                fix: "remove order, or remove \"shuffle\": false")
            // Normalisation is preprocessing (applied in validation, evaluation and prediction
            // too, before any random augmentation): only the first entry may normalise.
            for (index, augmentation) in (augmentations ?? []).enumerated() {
                try SpecificationError.require(
                    index == 0 || augmentation.normalize == nil, "augmentations[\(index)].normalize", "normalize",
                    mustBe: "the first augmentation (normalisation is preprocessing and comes first)",
                    fix: "move the normalize entry to the start of the list")
            }
        }

        /// The data pipeline's order of shuffled samples.
        public var sampleOrder: SampleOrder {
            order == .pageAware ? .pageAware(windowPages: windowPages ?? PageAwareSampler.defaultWindowPages) : .shuffle
        }

        /// The augmentations as the data pipeline's transforms, in order. Colour jitter and
        /// rotation are given the leading normalisation (if any): jitter works on pixel values in
        /// [0, 1] and undoes it around itself, rotation fills with its value of black.
        public var sampleTransforms: [SampleTransform] {
            let normalization = augmentations?.first?.normalize.map { Normalization(mean: $0.mean, standardDeviation: $0.std) }
            return (augmentations ?? []).compactMap { $0.transform(after: normalization) }
        }
    }

    /// One augmentation: exactly one of `normalize`, `flip`, `crop_padding`, `random_resized_crop`,
    /// `color_jitter`, `rotation`.
    public struct Augmentation: KeyedSettings, Equatable {
        /// Normalisation.
        public struct Normalize: KeyedSettings, Equatable {
            /// Means per channel (or one for all).
            @Setting("mean") public var mean: [Float] = []
            /// Standard deviations per channel (or one for all).
            @Setting("std") public var std: [Float] = []

            /// No values yet.
            public init() {}

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
        @Setting("normalize") public var normalize: Normalize? = nil
        /// Horizontal flip probability.
        @Setting("flip", .within(0...1, "a probability in [0, 1]")) public var flip: Float? = nil
        /// Random crop with this much zero padding.
        @Setting("crop_padding", .atLeast(0)) public var cropPadding: Int? = nil
        /// torchvision's `RandomResizedCrop` to the image's own size.
        @Setting("random_resized_crop") public var randomResizedCrop: ResizedCrop? = nil
        /// torchvision's `ColorJitter` (brightness, contrast, saturation).
        @Setting("color_jitter") public var colorJitter: ColorJitter? = nil
        /// torchvision's `RandomRotation(degrees)`: the largest angle either way.
        @Setting("rotation", .within(0...180, "an angle in degrees in [0, 180]", fix: "use an angle such as 15"))
        public var rotation: Float? = nil

        /// No transform yet.
        public init() {}

        /// Exactly one transform, with a value in range.
        public func validate() throws(SpecificationError) {
            let given = [
                normalize.map { _ in "normalize" }, flip.map { _ in "flip" }, cropPadding.map { _ in "crop_padding" },
                randomResizedCrop.map { _ in "random_resized_crop" }, colorJitter.map { _ in "color_jitter" }, rotation.map { _ in "rotation" },
            ].compactMap { $0 }
            guard given.count == 1 else {
                throw SpecificationError(
                    key: nil,
                    reason: given.isEmpty
                        ? "an augmentation with no transform" : "one augmentation with several transforms (\(given.joined(separator: ", ")))",
                    fix: "give exactly one of \(Self.settingKeys.joined(separator: ", ")) per list entry")
            }
            try validateSettings()
        }

        /// The data pipeline's transform for samples that arrive with `normalization` applied.
        public func transform(after normalization: Normalization? = nil) -> SampleTransform? {
            if let normalize { return .normalize(mean: normalize.mean, standardDeviation: normalize.std) }
            if let flip { return .randomHorizontalFlip(probability: flip) }
            if let cropPadding { return .randomCrop(padding: cropPadding) }
            if let randomResizedCrop { return .randomResizedCrop(randomResizedCrop.transform) }
            if let colorJitter {
                return .colorJitter(
                    SampleTransform.ColorJitter(
                        brightness: colorJitter.brightness ?? 0, contrast: colorJitter.contrast ?? 0, saturation: colorJitter.saturation ?? 0,
                        normalization: normalization))
            }
            if let rotation { return .randomRotation(SampleTransform.Rotation(degrees: rotation, normalization: normalization)) }
            return nil
        }
    }
}
