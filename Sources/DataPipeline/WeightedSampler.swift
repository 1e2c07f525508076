import Tensors

/// Samples drawn with replacement in proportion to per-sample weights (PyTorch's
/// `WeightedRandomSampler`), for imbalanced classes: weight each sample by the inverse of its
/// class's frequency. Each draw is a pure function of (seed, epoch, position) through Walker's
/// alias table, so resuming needs no state beyond the position.
public struct WeightedSampler: Sampler {
    /// Draws per epoch.
    public let count: Int
    /// The seed.
    public let seed: UInt64
    let probability: [Double]
    let alias: [Int]

    /// Draws `count` samples per epoch; `weights` holds one non-negative weight per dataset
    /// sample, not all zero. Returns nil when the weights are unusable.
    public init?(weights: [Double], count: Int, seed: UInt64) {
        let total = weights.reduce(0, +)
        guard !weights.isEmpty, count >= 0, total > 0, total.isFinite, weights.allSatisfy({ $0 >= 0 }) else { return nil }
        self.count = count
        self.seed = seed
        // Walker / Vose alias construction.
        let n = weights.count
        var scaled = weights.map { $0 * Double(n) / total }
        var probability = [Double](repeating: 1, count: n)
        var alias = Array(0..<n)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let s = small.popLast(), let l = large.last {
            probability[s] = scaled[s]
            alias[s] = l
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 {
                large.removeLast()
                small.append(l)
            }
        }
        self.probability = probability
        self.alias = alias
    }

    /// The dataset index drawn at `position` of `epoch`.
    public func index(at position: Int, epoch: Int) -> Int {
        var generator = RandomGenerator(seed: seed, stream: [0x3E16_47ED, UInt64(epoch), UInt64(position)])
        let column = generator.index(below: probability.count)
        return generator.nextUnitDouble() < probability[column] ? column : alias[column]
    }
}
