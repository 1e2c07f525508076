import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SampleTransform {
    /// torchvision's `RandomResizedCrop`: a random region of random area and aspect ratio, brought
    /// back to the sample's own size by bilinear resampling.
    ///
    /// The region is drawn as torchvision draws it: up to 10 tries of an area `uniform(scale) x H x W`
    /// and an aspect ratio `exp(uniform(log(ratio)))`, `w = round(sqrt(area * r))`,
    /// `h = round(sqrt(area / r))` (halves to even, as Python's `round`), accepted when
    /// `0 < w <= W` and `0 < h <= H`, at a uniform top in `0...H-h` and left in `0...W-w`; when all
    /// ten fail, the central region with the image's aspect ratio clamped to `ratio`.
    ///
    /// The region is resampled to `H x W` with half-pixel centres and edge clamping:
    /// `torch.nn.functional.interpolate(crop, size=(H, W), mode="bilinear", align_corners=False,
    /// antialias=False)`. torchvision v2 passes `antialias=True` for tensors, which only differs
    /// when a side shrinks; the region is never larger than the output here, so the two agree up to
    /// float rounding (measured: at most 2.1e-7 on the fixture's crops).
    public struct ResizedCrop: Codable, Sendable, Equatable, Hashable {
        /// The fraction of the image's area a region covers (torchvision's default 0.08...1).
        public var scale: ClosedRange<Double>
        /// The region's width / height (torchvision's default 3/4...4/3).
        public var ratio: ClosedRange<Double>

        /// A region's position and size in pixels.
        public struct Box: Equatable, Sendable, Hashable {
            /// The first row.
            public var top: Int
            /// The first column.
            public var left: Int
            /// Rows.
            public var height: Int
            /// Columns.
            public var width: Int

            /// Creates a box.
            public init(top: Int, left: Int, height: Int, width: Int) {
                self.top = top
                self.left = left
                self.height = height
                self.width = width
            }
        }

        /// Creates the transform (torchvision's defaults unless given).
        public init(scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = 0.75...(4.0 / 3.0)) {
            self.scale = scale
            self.ratio = ratio
        }

        /// Draws a region of an image of `height` x `width` pixels (torchvision's `get_params`).
        public func box(height: Int, width: Int, generator: inout RandomGenerator) -> Box {
            let area = Double(height * width)
            let logRatio = (log(ratio.lowerBound), log(ratio.upperBound))
            for _ in 0..<10 {
                let target = area * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * generator.nextUnitDouble())
                let aspect = exp(logRatio.0 + (logRatio.1 - logRatio.0) * generator.nextUnitDouble())
                let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
                let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
                if w > 0 && w <= width && h > 0 && h <= height {
                    let top = generator.index(below: height - h + 1)
                    let left = generator.index(below: width - w + 1)
                    return Box(top: top, left: left, height: h, width: w)
                }
            }
            // The central region, with the image's aspect ratio clamped to the range.
            let imageRatio = Double(width) / Double(height)
            var (w, h) = (width, height)
            if imageRatio < ratio.lowerBound {
                h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
            } else if imageRatio > ratio.upperBound {
                w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
            }
            return Box(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
        }

        /// Writes `box` of `source` (shape `[channels, height, width]`), resampled bilinearly to
        /// the full `height` x `width`, into `output` (the same shape): the transform's
        /// deterministic part.
        public static func resample(
            _ box: Box, of source: UnsafeBufferPointer<Float>, shape: [Int], into output: UnsafeMutableBufferPointer<Float>
        ) {
            let (channels, height, width) = (shape[0], shape[1], shape[2])
            let rows = taps(output: height, input: box.height)
            let columns = taps(output: width, input: box.width)
            for c in 0..<channels {
                let plane = c * height * width
                for y in 0..<height {
                    let (y0, y1, fy) = rows[y]
                    let row0 = plane + (box.top + y0) * width + box.left
                    let row1 = plane + (box.top + y1) * width + box.left
                    for x in 0..<width {
                        let (x0, x1, fx) = columns[x]
                        let upper = source[row0 + x0] * (1 - fx) + source[row0 + x1] * fx
                        let lower = source[row1 + x0] * (1 - fx) + source[row1 + x1] * fx
                        output[plane + y * width + x] = upper * (1 - fy) + lower * fy
                    }
                }
            }
        }

        /// For each output position: the two input positions and the second one's weight, with
        /// half-pixel centres (`(i + 0.5) * input / output - 0.5`, at least 0) as PyTorch's
        /// `align_corners=False` computes them in single precision.
        static func taps(output: Int, input: Int) -> [(Int, Int, Float)] {
            let scale = Float(input) / Float(output)
            return (0..<output).map { position in
                let source = max(scale * (Float(position) + 0.5) - 0.5, 0)
                let low = min(Int(source), input - 1)
                return (low, min(low + 1, input - 1), source - Float(low))
            }
        }

        /// Draws a region and resamples it in place (images only; other shapes are left alone).
        func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int], generator: inout RandomGenerator, scratch: inout [Float]) {
            guard shape.count == 3, shape[1] > 0, shape[2] > 0 else { return }
            let box = box(height: shape[1], width: shape[2], generator: &generator)
            if box.height == shape[1] && box.width == shape[2] { return }
            if scratch.count < values.count { scratch = [Float](repeating: 0, count: values.count) }
            for index in 0..<values.count { scratch[index] = values[index] }
            scratch.withUnsafeBufferPointer { source in SampleTransform.ResizedCrop.resample(box, of: source, shape: shape, into: values) }
        }
    }
}
