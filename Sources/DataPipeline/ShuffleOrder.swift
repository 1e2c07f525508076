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
    /// The four round keys (fields, not an array: `index(at:)` runs for every sample read).
    private let key0: UInt64
    private let key1: UInt64
    private let key2: UInt64
    private let key3: UInt64

    /// A permutation of `0..<count` keyed by `seed` and `stream` (such as [epoch]).
    public init(count: Int, seed: UInt64, stream: [UInt64], shuffled: Bool = true) {
        precondition(count >= 0, "ShuffleOrder count must not be negative")
        self.count = count
        isShuffled = shuffled
        var bits: UInt64 = 1
        while (1 << (2 * bits)) < count { bits += 1 }
        halfBits = bits
        var generator = RandomGenerator(seed: seed, stream: [0x5A3F_F1E0] + stream)
        key0 = generator.next()
        key1 = generator.next()
        key2 = generator.next()
        key3 = generator.next()
    }

    /// The index at `position` (in `0..<count`).
    @inline(__always)
    public func index(at position: Int) -> Int {
        guard isShuffled else { return position }
        var x = UInt64(position)
        repeat { x = encrypt(x) } while x >= UInt64(count)
        return Int(x)
    }

    /// `index(at:)` of each of `positions` (each in `0..<count`), the same indices, four at a time:
    /// their Feistel rounds are independent chains the processor overlaps, and the cycle walking
    /// of the four takes one branch per step (re-encrypting only the lanes still outside the
    /// range), where one position at a time waits on each round and mispredicts its walk.
    public func indices(at positions: [Int]) -> [Int] {
        guard isShuffled else { return positions }
        let limit = UInt64(count)
        var result = [Int](repeating: 0, count: positions.count)
        var start = 0
        while start + 4 <= positions.count {
            var a = encrypt(UInt64(positions[start]))
            var b = encrypt(UInt64(positions[start + 1]))
            var c = encrypt(UInt64(positions[start + 2]))
            var d = encrypt(UInt64(positions[start + 3]))
            while a >= limit || b >= limit || c >= limit || d >= limit {
                let (nextA, nextB, nextC, nextD) = (encrypt(a), encrypt(b), encrypt(c), encrypt(d))
                a = a >= limit ? nextA : a
                b = b >= limit ? nextB : b
                c = c >= limit ? nextC : c
                d = d >= limit ? nextD : d
            }
            (result[start], result[start + 1], result[start + 2], result[start + 3]) = (Int(a), Int(b), Int(c), Int(d))
            start += 4
        }
        for position in start..<positions.count { result[position] = index(at: positions[position]) }
        return result
    }

    @inline(__always)
    private func encrypt(_ value: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << halfBits) - 1
        var left = value >> halfBits
        var right = value & mask
        (left, right) = (right, left ^ (ShuffleOrder.mix(right ^ key0) & mask))
        (left, right) = (right, left ^ (ShuffleOrder.mix(right ^ key1) & mask))
        (left, right) = (right, left ^ (ShuffleOrder.mix(right ^ key2) & mask))
        (left, right) = (right, left ^ (ShuffleOrder.mix(right ^ key3) & mask))
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
