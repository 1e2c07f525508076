import DataPipeline

extension RunConfiguration.Augmentation {
    /// `random_resized_crop`: torchvision's `RandomResizedCrop(size, scale, ratio)` with `size` the
    /// image's own size (`SampleTransform.ResizedCrop`).
    public struct ResizedCrop: KeyedSettings, Equatable {
        /// The fraction of the area a region covers, `[low, high]` (default `[0.08, 1]`).
        @Setting(
            "scale",
            .require("[low, high] with 0 < low <= high <= 1", fix: "use a range such as [0.08, 1] (torchvision's default)") {
                RunConfiguration.Augmentation.isRange($0, upTo: 1)
            })
        public var scale: [Double]? = nil
        /// The region's width / height, `[low, high]` (default `[0.75, 1.3333]`, 3/4 to 4/3).
        @Setting(
            "ratio",
            .require("[low, high] with 0 < low <= high", fix: "use a range such as [0.75, 1.3333] (torchvision's default)") {
                RunConfiguration.Augmentation.isRange($0, upTo: .infinity)
            })
        public var ratio: [Double]? = nil

        /// torchvision's defaults.
        public init() {}

        /// The data pipeline's transform.
        public var transform: SampleTransform.ResizedCrop {
            let defaults = SampleTransform.ResizedCrop()
            return SampleTransform.ResizedCrop(
                scale: scale.map { $0[0]...$0[1] } ?? defaults.scale, ratio: ratio.map { $0[0]...$0[1] } ?? defaults.ratio)
        }
    }

    /// `color_jitter`: torchvision's `ColorJitter(brightness, contrast, saturation)`, each a
    /// strength `v` whose factor is drawn from `[max(0, 1 - v), 1 + v]` (`SampleTransform.ColorJitter`).
    public struct ColorJitter: KeyedSettings, Equatable {
        /// Brightness strength.
        @Setting("brightness", .atLeast(0)) public var brightness: Float? = nil
        /// Contrast strength.
        @Setting("contrast", .atLeast(0)) public var contrast: Float? = nil
        /// Saturation strength.
        @Setting("saturation", .atLeast(0)) public var saturation: Float? = nil

        /// No adjustment yet.
        public init() {}

        /// Each strength in range, and at least one above 0.
        public func validate() throws(SpecificationError) {
            try validateSettings()
            guard [brightness, contrast, saturation].contains(where: { ($0 ?? 0) > 0 }) else {
                throw SpecificationError(
                    key: nil, reason: "colour jitter with no strength above 0 changes nothing",
                    fix: "give brightness, contrast or saturation, such as {\"brightness\": 0.4}")
            }
        }
    }

    /// Whether `values` is `[low, high]` with `0 < low <= high <= limit`, both finite.
    static func isRange(_ values: [Double], upTo limit: Double) -> Bool {
        values.count == 2 && values[0] > 0 && values[0] <= values[1] && values[1] <= limit && values[1].isFinite
    }
}
