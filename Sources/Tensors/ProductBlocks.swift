/// How `Tensor.sgemm` cuts a product into blocks of output columns (or rows) that are computed
/// independently, each by one oneDNN call on one thread.
///
/// The cut depends only on the product's shape, never on the thread count: every output element
/// is computed by the same call with the same arguments however many threads share the blocks,
/// so the result has the same bits for any thread count. The number of blocks is a power of two
/// (1 to 16), so blocks share out evenly on 1, 2, 4, 8 or 16 threads, and each block has at least
/// `minimumWork` floating-point operations, so small products still use two threads.
struct ProductBlocks: Equatable {
    /// Whether blocks are ranges of columns (true) or of rows.
    let splitsColumns: Bool
    /// The number of blocks.
    let count: Int
    /// The columns (or rows) being cut.
    let extent: Int
    /// Block boundaries fall on multiples of this many columns (or rows).
    let unit: Int

    /// The smallest block worth a call of its own (about 15-25 µs of one core): the MLP's 64x784
    /// times 784x256 product (26 MFLOP) becomes four blocks.
    static let minimumWork = 4 << 20
    /// The most blocks a product is cut into.
    static let maximumCount = 16

    /// The blocks of an `m` x `n` product with inner dimension `k`.
    init(m: Int, n: Int, k: Int) {
        splitsColumns = n >= m
        extent = splitsColumns ? n : m
        unit = splitsColumns ? 16 : 8
        let units = (extent + unit - 1) / unit
        let work = 2 * m * n * Swift.max(k, 1)
        var count = 1
        while count * 2 <= ProductBlocks.maximumCount && count * 2 <= units && work / (count * 2) >= ProductBlocks.minimumWork {
            count *= 2
        }
        self.count = count
    }

    /// The columns (or rows) of block `index`; blocks are contiguous, non-empty and cover `0..<extent`.
    func range(_ index: Int) -> Range<Int> {
        let units = (extent + unit - 1) / unit
        let start = units * index / count * unit
        let end = Swift.min(extent, units * (index + 1) / count * unit)
        return start..<end
    }
}
