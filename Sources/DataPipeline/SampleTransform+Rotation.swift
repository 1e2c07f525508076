import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SampleTransform {
    /// torchvision's `RandomRotation(degrees)` with its defaults: an angle uniform in
    /// `[-degrees, degrees]` (positive is anticlockwise), a rotation about the image's centre
    /// that keeps its size, nearest-neighbour sampling and black (0) where the rotated image does
    /// not reach.
    ///
    /// Output pixel `(x, y)` takes input pixel `(round(cos a * u - sin a * v + W / 2 - 0.5),
    /// round(sin a * u + cos a * v + H / 2 - 0.5))` with `u = x + 0.5 - W / 2`,
    /// `v = y + 0.5 - H / 2`, halves rounding to even, in single precision as torchvision's
    /// affine grid and `grid_sample(mode="nearest", align_corners=False)` work it out.
    ///
    /// `normalization`, when the samples arrive normalised (`normalize` comes first), gives the
    /// value black has after it, so the fill is the black of torchvision's `RandomRotation`
    /// followed by `Normalize`.
    public struct Rotation: Codable, Sendable, Equatable, Hashable {
        /// The largest angle either way, in degrees.
        public var degrees: Float
        /// The normalisation the samples arrive with (for the fill).
        public var normalization: Normalization?

        /// Creates the transform.
        public init(degrees: Float, normalization: Normalization? = nil) {
            self.degrees = degrees
            self.normalization = normalization
        }

        /// Draws one sample's angle in degrees.
        public func angle(generator: inout RandomGenerator) -> Float {
            generator.uniform(from: -degrees, to: degrees)
        }

        /// Writes `source` (shape `[channels, height, width]`) rotated by `degrees` into `output`
        /// (the same shape), `fill[c]` (or `fill[0]` for all) where no input pixel lands: the
        /// transform's deterministic part.
        public static func rotate(
            _ source: UnsafeBufferPointer<Float>, shape: [Int], degrees: Float, fill: [Float], into output: UnsafeMutableBufferPointer<Float>
        ) {
            let (channels, height, width) = (shape[0], shape[1], shape[2])
            let radians = Double(degrees) * Double.pi / 180
            // torchvision's inverse matrix, scaled to its normalised grid and back to pixels.
            let (cosine, sine) = (Float(cos(radians)), Float(sin(radians)))
            let (halfWidth, halfHeight) = (Float(width) * 0.5, Float(height) * 0.5)
            let (a, b) = (cosine / halfWidth, -sine / halfWidth)
            let (c, d) = (sine / halfHeight, cosine / halfHeight)
            for y in 0..<height {
                let v = Float(y) + (1 - Float(height)) * 0.5
                for x in 0..<width {
                    let u = Float(x) + (1 - Float(width)) * 0.5
                    let sourceX = (((u * a + v * b) + 1) * Float(width) - 1) / 2
                    let sourceY = (((u * c + v * d) + 1) * Float(height) - 1) / 2
                    let column = Int(sourceX.rounded(.toNearestOrEven))
                    let row = Int(sourceY.rounded(.toNearestOrEven))
                    let inside = column >= 0 && column < width && row >= 0 && row < height
                    for k in 0..<channels {
                        output[(k * height + y) * width + x] =
                            inside ? source[(k * height + row) * width + column] : fill[fill.count == 1 ? 0 : k % max(fill.count, 1)]
                    }
                }
            }
        }

        /// The fill per channel: black, normalised if the samples are.
        public func fill(channels: Int) -> [Float] {
            (0..<channels).map { normalization?.apply(0, group: $0) ?? 0 }
        }

        /// Draws an angle and rotates in place (images only; other shapes are left alone).
        func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int], generator: inout RandomGenerator, scratch: inout [Float]) {
            let angle = angle(generator: &generator)
            guard shape.count == 3, angle != 0 else { return }
            if scratch.count < values.count { scratch = [Float](repeating: 0, count: values.count) }
            for index in 0..<values.count { scratch[index] = values[index] }
            let fill = fill(channels: shape[0])
            scratch.withUnsafeBufferPointer { source in
                SampleTransform.Rotation.rotate(source, shape: shape, degrees: angle, fill: fill, into: values)
            }
        }
    }
}
