import Tensors

extension SampleTransform {
    /// torchvision's `ColorJitter(brightness, contrast, saturation)` for images of 1 or 3 channels
    /// with pixel values in [0, 1].
    ///
    /// Each given strength `v` (0: left out) draws a factor uniform in `[max(0, 1 - v), 1 + v]`, and
    /// the adjustments run in an order drawn per sample (a random permutation, as torchvision's
    /// `fn_idx`). With `f` the factor and every result clamped to [0, 1], as torchvision's tensor
    /// functions: brightness `x * f`; contrast `f * x + (1 - f) * m`, `m` the mean of the grey
    /// image; saturation `f * x + (1 - f) * grey`, where grey is `0.2989 R + 0.587 G + 0.114 B`
    /// (torchvision's `rgb_to_grayscale`). A gray image is its own grey, so saturation leaves it
    /// unchanged.
    ///
    /// `normalization`, when the samples arrive normalised (`normalize` is preprocessing and comes
    /// first), is undone before the adjustments and applied again after them, so the result is
    /// torchvision's `ColorJitter` followed by `Normalize`, as recipes order them.
    public struct ColorJitter: Codable, Sendable, Equatable, Hashable {
        /// One adjustment.
        public enum Adjustment: Int, Codable, Sendable, CaseIterable {
            /// Scales every value.
            case brightness
            /// Blends with the mean of the grey image.
            case contrast
            /// Blends with the grey image.
            case saturation
        }

        /// How far brightness may move (0: not adjusted).
        public var brightness: Float
        /// How far contrast may move (0: not adjusted).
        public var contrast: Float
        /// How far saturation may move (0: not adjusted).
        public var saturation: Float
        /// The normalisation the samples arrive with, undone around the adjustments.
        public var normalization: Normalization?

        /// Creates the transform; each strength is 0 or more.
        public init(brightness: Float = 0, contrast: Float = 0, saturation: Float = 0, normalization: Normalization? = nil) {
            self.brightness = brightness
            self.contrast = contrast
            self.saturation = saturation
            self.normalization = normalization
        }

        /// The strength of `adjustment`.
        public func strength(of adjustment: Adjustment) -> Float {
            switch adjustment {
            case .brightness: return brightness
            case .contrast: return contrast
            case .saturation: return saturation
            }
        }

        /// Draws one sample's adjustments: the order (a permutation of the three), then a factor
        /// for each adjustment with a strength, in the order brightness, contrast, saturation.
        public func draw(generator: inout RandomGenerator) -> [(adjustment: Adjustment, factor: Float)] {
            let order = generator.permutation(Adjustment.allCases.count).compactMap(Adjustment.init(rawValue:))
            var factors: [Adjustment: Float] = [:]
            for adjustment in Adjustment.allCases {
                let strength = strength(of: adjustment)
                guard strength > 0 else { continue }
                factors[adjustment] = generator.uniform(from: max(0, 1 - strength), to: 1 + strength)
            }
            return order.compactMap { adjustment in factors[adjustment].map { (adjustment, $0) } }
        }

        /// Applies one adjustment with `factor` in place to an image of shape `[channels, height,
        /// width]` (1 or 3 channels, values in [0, 1]): the transform's deterministic part.
        public static func adjust(_ adjustment: Adjustment, factor: Float, values: UnsafeMutableBufferPointer<Float>, shape: [Int]) {
            let plane = shape[1] * shape[2]
            let channels = shape[0]
            func blend(_ value: Float, _ other: Float) -> Float {
                min(max(value * factor + other * (1 - factor), 0), 1)
            }
            switch adjustment {
            case .brightness:
                for index in 0..<values.count { values[index] = min(max(values[index] * factor, 0), 1) }
            case .contrast:
                var sum = 0.0
                for index in 0..<plane { sum += Double(grey(values, index, plane: plane, channels: channels)) }
                let mean = Float(sum / Double(max(plane, 1)))
                for index in 0..<values.count { values[index] = blend(values[index], mean) }
            case .saturation:
                guard channels == 3 else { return }
                for index in 0..<plane {
                    let level = grey(values, index, plane: plane, channels: channels)
                    for c in 0..<3 { values[c * plane + index] = blend(values[c * plane + index], level) }
                }
            }
        }

        /// The grey value of pixel `index`: torchvision's `0.2989 R + 0.587 G + 0.114 B` in
        /// single precision (a gray image's own value).
        @inline(__always)
        static func grey(_ values: UnsafeMutableBufferPointer<Float>, _ index: Int, plane: Int, channels: Int) -> Float {
            guard channels == 3 else { return values[index] }
            return values[index] * 0.2989 + values[plane + index] * 0.587 + values[2 * plane + index] * 0.114
        }

        /// Applies `adjustments` in order, in place, to an image of shape `[channels, height,
        /// width]` (1 or 3 channels; other shapes are left alone), undoing the normalisation
        /// before them and redoing it after: the transform's deterministic part.
        public func apply(
            _ adjustments: [(adjustment: Adjustment, factor: Float)], to values: UnsafeMutableBufferPointer<Float>, shape: [Int]
        ) {
            guard shape.count == 3, shape[0] == 1 || shape[0] == 3, !adjustments.isEmpty else { return }
            let plane = shape[1] * shape[2]
            if let normalization {
                for c in 0..<shape[0] {
                    for index in (c * plane)..<((c + 1) * plane) { values[index] = normalization.restore(values[index], group: c) }
                }
            }
            for (adjustment, factor) in adjustments { Self.adjust(adjustment, factor: factor, values: values, shape: shape) }
            if let normalization {
                for c in 0..<shape[0] {
                    for index in (c * plane)..<((c + 1) * plane) { values[index] = normalization.apply(values[index], group: c) }
                }
            }
        }

        /// Draws one sample's adjustments and applies them in place.
        func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int], generator: inout RandomGenerator) {
            apply(draw(generator: &generator), to: values, shape: shape)
        }
    }
}

extension Normalization {
    /// The value that `apply(_:group:)` maps to `value`: `value * s + m`.
    @inline(__always)
    func restore(_ value: Float, group: Int) -> Float {
        let m = mean.count == 1 ? mean[0] : mean[group % Swift.max(mean.count, 1)]
        let s = standardDeviation.count == 1 ? standardDeviation[0] : standardDeviation[group % Swift.max(standardDeviation.count, 1)]
        return value * s + m
    }
}
