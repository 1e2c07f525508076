/// One pass of Pillow's antialiased bilinear resampling (`precompute_coeffs` and
/// `ImagingResampleHorizontal_8bpc` / `ImagingResampleVertical_8bpc` in `Resample.c`): each output
/// position weighs the input positions within `support = max(input / output, 1)` of its centre
/// by a triangle filter stretched by that factor, the weights normalised in double precision,
/// then turned into 22-bit fixed point; sums start at one half and are shifted and clamped to
/// 8 bits.
struct PillowFilter {
    /// Which way a pass runs over interleaved pixels `[rows][columns][channels]`.
    enum Direction {
        /// Along each row (a width change).
        case rows
        /// Along each column (a height change).
        case columns
    }

    private static let precisionBits = 32 - 8 - 2
    private let output: Int
    private let input: Int
    /// Each output position's first input position.
    private let starts: [Int]
    /// Each output position's fixed-point weights, from its first input position on.
    private let weights: [[Int]]

    /// The weights for resampling `input` positions to `output`.
    init(input: Int, output: Int) {
        self.input = input
        self.output = output
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = filterScale
        let inverse = 1 / filterScale
        var starts: [Int] = []
        var weights: [[Int]] = []
        for position in 0..<output {
            let center = (Double(position) + 0.5) * scale
            // C's (int) conversions truncate toward zero, as Swift's do.
            let first = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), input)
            var taps = (first..<max(end, first)).map { index -> Double in
                let distance = abs((Double(index) - center + 0.5) * inverse)
                return distance < 1 ? 1 - distance : 0
            }
            let total = taps.reduce(0, +)
            if total != 0 { taps = taps.map { $0 / total } }
            let unit = Double(1 << Self.precisionBits)
            weights.append(taps.map { $0 < 0 ? Int(-0.5 + $0 * unit) : Int(0.5 + $0 * unit) })
            starts.append(first)
        }
        self.starts = starts
        self.weights = weights
    }

    /// Resamples `pixels` (`lines` rows or columns of `input` pixels of `stride` bytes each)
    /// along `direction` to `output` pixels per line.
    func resample(_ pixels: [UInt8], lines: Int, stride: Int, along direction: Direction) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: lines * output * stride)
        func offset(_ line: Int, _ position: Int, _ length: Int) -> Int {
            direction == .rows ? (line * length + position) * stride : (position * lines + line) * stride
        }
        for line in 0..<lines {
            for position in 0..<output {
                let first = starts[position]
                for k in 0..<stride {
                    var sum = 1 << (Self.precisionBits - 1)
                    for (tap, weight) in weights[position].enumerated() { sum += Int(pixels[offset(line, first + tap, input) + k]) * weight }
                    out[offset(line, position, output) + k] = UInt8(min(max(sum >> Self.precisionBits, 0), 255))
                }
            }
        }
        return out
    }

    /// Pillow's RGBA to RGBa: each colour times alpha / 255, rounded as `MULDIV255`.
    static func premultiply(_ pixels: [UInt8]) -> [UInt8] {
        var out = pixels
        for pixel in Swift.stride(from: 0, to: pixels.count, by: 4) {
            let alpha = Int(pixels[pixel + 3])
            for k in 0..<3 {
                let product = Int(pixels[pixel + k]) * alpha + 128
                out[pixel + k] = UInt8(((product >> 8) + product) >> 8)
            }
        }
        return out
    }

    /// Pillow's RGBa to RGBA: each colour times 255 / alpha (integer division, clamped to 255),
    /// unchanged where alpha is 0 or 255.
    static func unpremultiply(_ pixels: [UInt8]) -> [UInt8] {
        var out = pixels
        for pixel in Swift.stride(from: 0, to: pixels.count, by: 4) {
            let alpha = Int(pixels[pixel + 3])
            guard alpha != 0 && alpha != 255 else { continue }
            for k in 0..<3 { out[pixel + k] = UInt8(min(255 * Int(pixels[pixel + k]) / alpha, 255)) }
        }
        return out
    }
}
