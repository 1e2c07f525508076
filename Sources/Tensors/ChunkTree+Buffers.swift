extension ChunkTree {
    /// Elements per block of the reduction: a block of every chunk's vector stays in the L2 cache.
    static let reductionBlock = 4096

    /// Adds the tree sum of `chunkCount` vectors of `width` floats to `total`. Chunk `c`'s vector
    /// starts at `partials + c * stride`; the vectors are combined in place pair by pair, level by
    /// level, exactly as `value(of:)` combines nodes (a node is its left child plus its right child),
    /// so the result has the bits of the same tree built from the same vectors anywhere else: one
    /// rank or many. Elements run in blocks, each summed in the same order; the partials are
    /// overwritten.
    public func accumulate(partials: UnsafeMutablePointer<Float>, stride: Int, width: Int, into total: UnsafeMutablePointer<Float>) {
        guard chunkCount > 0, width > 0 else { return }
        for start in Swift.stride(from: 0, to: width, by: ChunkTree.reductionBlock) {
            let count = Swift.min(ChunkTree.reductionBlock, width - start)
            var level = 1
            while level <= height {
                let half = 1 << (level - 1)
                for left in Swift.stride(from: 0, to: chunkCount, by: 2 * half) where left + half < chunkCount {
                    let target = partials + left * stride + start
                    let addend = partials + (left + half) * stride + start
                    for index in 0..<count { target[index] += addend[index] }
                }
                level += 1
            }
            let root = partials + start
            let out = total + start
            for index in 0..<count { out[index] += root[index] }
        }
    }
}
