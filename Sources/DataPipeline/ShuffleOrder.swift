import Tensors

/// A seeded permutation of `0..<count` that maps any position to its index in O(1), without
/// building the permutation: a 4-round Feistel network on the smallest even-bit domain that
/// holds `count`, with cycle walking (re-encrypting until the value falls below `count`; on
/// average fewer than 4 rounds of walking, since the domain is less than 4 × count).
///
/// The order is a pure function of (seed, stream): the same everywhere, for any thread count.
public struct ShuffleOrder: Sendable, Equatable {
    /// The number of elements permuted.
    public let count: Int
    /// Whether the order is shuffled (false: the identity).
    public let isShuffled: Bool
    private let halfBits: UInt64
    private let keys: [UInt64]

    /// A permutation of `0..<count` keyed by `seed` and `stream` (such as [epoch]).
    public init(count: Int, seed: UInt64, stream: [UInt64], shuffled: Bool = true) {
        precondition(count >= 0, "ShuffleOrder count must not be negative")
        self.count = count
        isShuffled = shuffled
        var bits: UInt64 = 1
        while (1 << (2 * bits)) < count { bits += 1 }
        halfBits = bits
        var generator = RandomGenerator(seed: seed, stream: [0x5A3F_F1E0] + stream)
        keys = (0..<4).map { _ in generator.next() }
    }

    /// The index at `position` (in `0..<count`).
    @inline(__always)
    public func index(at position: Int) -> Int {
        guard isShuffled else { return position }
        var x = UInt64(position)
        repeat { x = encrypt(x) } while x >= UInt64(count)
        return Int(x)
    }

    private func encrypt(_ value: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << halfBits) - 1
        var left = value >> halfBits
        var right = value & mask
        for key in keys {
            (left, right) = (right, left ^ (ShuffleOrder.mix(right ^ key) & mask))
        }
        return left << halfBits | right
    }

    /// The SplitMix64 finaliser: a strong 64-bit mixing function.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
