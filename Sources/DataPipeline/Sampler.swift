/// Decides the order in which a random-access dataset's samples are read: the dataset index at
/// each position of each epoch. An order must be a pure function of (seed, epoch, position), so
/// that a pipeline can resume at any position without replaying the epoch, and the batches are
/// the same for any thread count.
public protocol Sampler: Sendable {
    /// Positions per epoch (the dataset's size for a permutation; any number for sampling with
    /// replacement).
    var count: Int { get }
    /// The dataset index at `position` (in `0..<count`) of epoch `epoch`.
    func index(at position: Int, epoch: Int) -> Int
    /// The dataset indices at `positions` of epoch `epoch` (one batch): a sampler whose order has
    /// a per-epoch setup does it once here rather than per position.
    func indices(at positions: [Int], epoch: Int) -> [Int]
}

extension Sampler {
    /// `index(at:epoch:)` for each position.
    public func indices(at positions: [Int], epoch: Int) -> [Int] {
        positions.map { index(at: $0, epoch: epoch) }
    }
}

/// Every sample once per epoch, in a seeded order that differs per epoch (a Feistel
/// permutation: any position resolves in O(1) without building the order).
public struct ShuffledSampler: Sampler {
    /// The dataset size.
    public let count: Int
    /// The seed.
    public let seed: UInt64

    /// A shuffled order of `0..<count`.
    public init(count: Int, seed: UInt64) {
        self.count = count
        self.seed = seed
    }

    /// The epoch's permutation at `position`.
    public func index(at position: Int, epoch: Int) -> Int {
        ShuffleOrder(count: count, seed: seed, stream: [UInt64(epoch)]).index(at: position)
    }

    /// The epoch's permutation at every position, its keys derived once.
    public func indices(at positions: [Int], epoch: Int) -> [Int] {
        ShuffleOrder(count: count, seed: seed, stream: [UInt64(epoch)]).indices(at: positions)
    }
}

/// Every sample once per epoch in dataset order.
public struct SequentialSampler: Sampler {
    /// The dataset size.
    public let count: Int

    /// The order `0..<count`.
    public init(count: Int) {
        self.count = count
    }

    /// `position`.
    public func index(at position: Int, epoch: Int) -> Int { position }
}
