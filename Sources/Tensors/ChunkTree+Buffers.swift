extension ChunkTree {
    /// Elements per block of the reduction: a block of every chunk's vector stays in the L2 cache.
    static let reductionBlock = 4096

    /// Adds the tree sum of `chunkCount` vectors of `width` floats to `total`. Chunk `c`'s vector
    /// starts at `partials + c * stride`; the vectors are combined in place by `reduce` (the
    /// tree's additions), so the result has the bits of the same tree built from the same vectors
    /// anywhere else: one rank or many. Elements run in blocks, each summed in the same order; the
    /// partials are overwritten.
    public func accumulate(partials: UnsafeMutablePointer<Float>, stride: Int, width: Int, into total: UnsafeMutablePointer<Float>) {
        guard chunkCount > 0, width > 0 else { return }
        for start in Swift.stride(from: 0, to: width, by: ChunkTree.reductionBlock) {
            let count = Swift.min(ChunkTree.reductionBlock, width - start)
            let sum = reduce(
                root, leaf: { partials + $0 * stride + start },
                add: { target, addend in
                    for index in 0..<count { target[index] += addend[index] }
                })
            let out = total + start
            for index in 0..<count { out[index] += sum[index] }
        }
    }

    /// The tree's additions (`forEachAddition(building: root)`) as the C kernels take them: each
    /// addition's `target, addend`, in order, flattened.
    package var kernelSchedule: [Int] {
        var pairs: [Int] = []
        pairs.reserveCapacity(2 * Swift.max(0, chunkCount - 1))
        forEachAddition(building: root) { addition in
            pairs.append(addition.target)
            pairs.append(addition.addend)
        }
        return pairs
    }
}
