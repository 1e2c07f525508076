import CMatrixKernel

/// A 3x3 convolution with stride 1 and padding 1 computed directly from a zero-padded copy of one
/// image (the C kernel `millrace_convolve3x3`), for layers whose unfolded (im2col) matrix would
/// cost more to write than its product costs to compute.
///
/// Each output element is one chain of fused multiply-adds from 0 over the input channels, then
/// the kernel rows, then the kernel columns, on the AVX-512, AVX2 and scalar paths alike, so the
/// bits depend neither on the CPU's vector width nor on the thread that runs the image.
public enum DirectConvolution {
    /// The instruction-set path of the kernel.
    public enum Path: Int32, Sendable, CaseIterable {
        /// Plain C with `fmaf`: the reference arithmetic.
        case scalar = 0
        /// 8-lane AVX2 with FMA.
        case avx2 = 1
        /// 16-lane AVX-512.
        case avx512 = 2
    }

    /// The floats of scratch one call needs for an image of `channels` x `height` x `width`.
    public static func scratchCount(channels: Int, height: Int, width: Int) -> Int {
        millrace_convolve3x3_scratch(channels, height, width)
    }

    /// Writes `output` `[outputs, height, width]` = the convolution of `input` `[channels, height,
    /// width]` with `weight` `[outputs, channels, 3, 3]` (no bias) on the calling thread, through
    /// `scratch` (`scratchCount(...)` floats, not shared with a concurrent call); `path` nil takes
    /// the best this CPU has (tests pick one to compare the paths' bits).
    public static func convolve3x3OnCallingThread(
        _ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, weight: UnsafePointer<Float>, outputs: Int,
        into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, path: Path? = nil
    ) {
        millrace_convolve3x3(input, channels, height, width, weight, outputs, output, path.map { $0.rawValue } ?? -1, scratch)
    }

    /// Adds the weight gradient of `convolve3x3OnCallingThread` for `images` consecutive images
    /// (`input` `[images, channels, height, width]`, `outputGradient` `[images, outputs, height,
    /// width]`) to `gradient` `[outputs, channels, 3, 3]`: the sum over images and pixels of
    /// `outputGradient[i, o, y, x] · input[i, c, y + ky - 1, x + kx - 1]`, each in sixteen lanes
    /// (lane j takes the pixels `x = 16r + j` of every row, one fused multiply-add each, images then
    /// rows in order) whose totals are added in a fixed tree; the same bits on every path.
    /// `scratch` holds `weightGradientScratchCount(...)` floats.
    public static func addWeightGradient3x3OnCallingThread(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, images: Int, channels: Int, height: Int, width: Int,
        outputs: Int, into gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, path: Path? = nil
    ) {
        millrace_add_convolve3x3_weight_gradient(
            input, outputGradient, images, channels, height, width, outputs, gradient, path.map { $0.rawValue } ?? -1, scratch)
    }

    /// The floats of scratch `addWeightGradient3x3OnCallingThread` needs.
    public static func weightGradientScratchCount(images: Int, channels: Int, height: Int, width: Int) -> Int {
        millrace_convolve3x3_weight_gradient_scratch(images, channels, height, width)
    }

    /// The path this CPU takes.
    public static var bestPath: Path {
        Path(rawValue: millrace_chunked_outer_path()) ?? .scalar
    }
}
