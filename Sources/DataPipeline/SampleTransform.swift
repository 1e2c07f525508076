import SystemIO
import Tensors

/// A per-sample transform applied in the decode stage, in order, to a sample's float features.
/// Random transforms draw from a generator derived from (seed, epoch, sample index), so they
/// are the same for any thread count and after a resume.
public enum SampleTransform: Codable, Sendable, Equatable {
    /// `(x - mean[c]) / standardDeviation[c]` per channel (images) or per feature (tables); a
    /// single value applies to all.
    case normalize(mean: [Float], standardDeviation: [Float])
    /// Mirrors an image left-right with the given probability.
    case randomHorizontalFlip(probability: Float)
    /// Pads an image with `padding` zeros on every side and crops a random window of the
    /// original size (torchvision's `RandomCrop(size, padding)`).
    case randomCrop(padding: Int)
    /// A random region of random area and aspect ratio, resampled to the image's size
    /// (torchvision's `RandomResizedCrop`).
    case randomResizedCrop(ResizedCrop)
    /// Random brightness, contrast and saturation in a random order (torchvision's `ColorJitter`).
    case colorJitter(ColorJitter)
    /// A rotation by a random angle (torchvision's `RandomRotation`).
    case randomRotation(Rotation)

    /// Whether the transform draws random numbers.
    public var isRandom: Bool {
        if case .normalize = self { return false }
        return true
    }

    /// Applies the transform in place to one sample of shape `shape`.
    public func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int], generator: inout RandomGenerator, scratch: inout [Float]) {
        switch self {
        case .normalize(let mean, let deviation):
            Normalization(mean: mean, standardDeviation: deviation).apply(to: values, shape: shape)
        case .randomHorizontalFlip(let probability):
            guard shape.count == 3, generator.nextUnitFloat() < probability else { return }
            let (channels, height, width) = (shape[0], shape[1], shape[2])
            for row in 0..<(channels * height) {
                var left = row * width
                var right = left + width - 1
                while left < right {
                    values.swapAt(left, right)
                    left += 1
                    right -= 1
                }
            }
        case .randomResizedCrop(let crop):
            crop.apply(to: values, shape: shape, generator: &generator, scratch: &scratch)
        case .colorJitter(let jitter):
            jitter.apply(to: values, shape: shape, generator: &generator)
        case .randomRotation(let rotation):
            rotation.apply(to: values, shape: shape, generator: &generator, scratch: &scratch)
        case .randomCrop(let padding):
            guard shape.count == 3, padding > 0 else { return }
            let (channels, height, width) = (shape[0], shape[1], shape[2])
            let top = generator.index(below: 2 * padding + 1) - padding
            let left = generator.index(below: 2 * padding + 1) - padding
            if scratch.count < values.count { scratch = [Float](repeating: 0, count: values.count) }
            for index in 0..<values.count { scratch[index] = values[index] }
            for c in 0..<channels {
                for y in 0..<height {
                    let sourceY = y + top
                    for x in 0..<width {
                        let sourceX = x + left
                        let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                        values[(c * height + y) * width + x] = inside ? scratch[(c * height + sourceY) * width + sourceX] : 0
                    }
                }
            }
        }
    }

    /// Throws unless the transform can apply to samples of `shape`: colour jitter needs images of
    /// 1 or 3 channels (the geometric transforms leave other shapes alone).
    public func check(sampleShape shape: [Int]) throws(DataError) {
        guard case .colorJitter = self, shape.count != 3 || ![1, 3].contains(shape[0]) else { return }
        let what = shape.count == 3 ? "images of \(shape[0]) channels" : "samples of shape \(shape) (not images)"
        throw DataError(
            .invalidOption, path: "pipeline.transforms",
            reason: "colour jitter applies to gray or RGB images (1 or 3 channels), but the data has \(what)",
            fix: "decode the images as rgb or gray, or leave colour jitter out")
    }
}
