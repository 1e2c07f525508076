#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// There is no global generator in Millrace: every operation that draws random numbers takes one
/// explicitly. The same seed gives the same sequence on every platform: integer and uniform
/// draws are exact integer arithmetic; normal draws use Box-Muller in double precision, rounded
/// to `Float`, so a last-bit difference between platforms' `log`/`cos` would have to cross a
/// `Float` rounding boundary to show.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Codable, Hashable {
    /// The four 64-bit words of xoshiro256** state; saved and restored by checkpoints.
    public private(set) var state: [UInt64]

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        var mixer = seed
        state = (0..<4).map { _ in RandomGenerator.splitMix(&mixer) }
    }

    /// Creates a generator for one stream of a seed, such as (seed, epoch, sample index): the
    /// result depends on every component and on their order, and nothing else.
    public init(seed: UInt64, stream: [UInt64]) {
        var key = seed
        for component in stream {
            var mixer = key ^ (component &* 0x9E37_79B9_7F4A_7C15)
            key = RandomGenerator.splitMix(&mixer) ^ RandomGenerator.splitMix(&mixer)
        }
        self.init(seed: key)
    }

    /// Restores a generator from saved state words.
    /// Returns nil unless there are exactly four words, not all zero.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        self.state = state
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotateLeft(state[3], 45)
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// A uniform `Float` in [0, 1), with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Double` in [0, 1), with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform `Float` in [lower, upper).
    public mutating func uniform(from lower: Float, to upper: Float) -> Float {
        lower + (upper - lower) * nextUnitFloat()
    }

    /// A normally distributed `Float` (Box-Muller on two uniform doubles).
    public mutating func normal(mean: Float = 0, standardDeviation: Float = 1) -> Float {
        let u1 = 1.0 - nextUnitDouble()  // (0, 1]: log is finite
        let u2 = nextUnitDouble()
        let z = (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
        return mean + standardDeviation * Float(z)
    }

    /// A uniform integer in `0..<upperBound` without modulo bias (Lemire's method).
    public mutating func index(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "index(below:) needs a positive bound")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of `0..<count` (Fisher-Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var result = Array(0..<count)
        var i = count - 1
        while i > 0 {
            result.swapAt(i, index(below: i + 1))
            i -= 1
        }
        return result
    }
}
