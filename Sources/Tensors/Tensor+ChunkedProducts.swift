import CMatrixKernel

/// Products over a batch cut into chunks of rows (the gradient chunks of a training step): each
/// chunk's rows are computed from that chunk alone, with calls whose shape depends only on the
/// chunk's row count, and sums over rows are summed per chunk and then up the fixed `ChunkTree`.
/// So a chunk's results have the same bits whichever batch, slice or process it is computed in.
extension Tensor {
    /// `a · op(b)` for `a` `[rows, k]`, computed chunk by chunk of `a`'s rows (`rowChunks`, which
    /// cover `0..<rows` in order); the chunks' blocks run on up to `ComputeThreads.maximum` threads.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, rowChunks: [Range<Int>]) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: rank-2 tensors expected, got \(a.shape) and \(b.shape)")
        let (rows, k) = (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == kb, "matmul: inner dimensions differ: \(a.shape) x \(b.shape)\(transposeB ? "ᵀ" : "")")
        checkChunks(rowChunks, rows: rows, "matmul")
        var c = Tensor(shape: [rows, n], unsafeUninitialized: { _ in })
        guard rows > 0, n > 0 else { return c }
        let jobs = ChunkJobs(chunks: rowChunks.map { ProductBlocks(m: $0.count, n: n, k: k) })
        let ldb = b.shape[1]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let shared = UncheckedSendable((pa.baseAddress!, pb.baseAddress!, pc.baseAddress!))
                    ComputeThreads.forEachChunk(jobs.count, threads: ComputeThreads.maximum) { _, job in
                        let (a, b, c) = shared.value
                        let (chunk, block) = jobs.job(job)
                        let range = rowChunks[chunk]
                        guard !range.isEmpty else { return }
                        guard k > 0 else { return (c + range.lowerBound * n).update(repeating: 0, count: range.count * n) }
                        multiplyBlock(
                            block, of: jobs.chunks[chunk], transposeA: false, transposeB: transposeB, m: range.count, n: n, k: k,
                            alpha: 1, a: a + range.lowerBound * k, lda: k, b: b, ldb: ldb, beta: 0, c: c + range.lowerBound * n, ldc: n)
                    }
                }
            }
        }
        return c
    }

    /// `total += Σ aᵀ[:, chunk] · b[chunk, :]` over the row chunks of `a` `[rows, p]` and `b`
    /// `[rows, q]`, the chunk products added up the `ChunkTree` of the chunks (a layer's weight
    /// gradient): one fused multiply-add per row in row order, the same bits on AVX-512, AVX2 and
    /// scalar paths and for any thread count (`millrace_add_chunked_outer_products`, given the
    /// tree's additions).
    public static func addChunkedProducts(transposing a: Tensor, _ b: Tensor, rowChunks: [Range<Int>], into total: inout Tensor) {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[0] == b.shape[0], "addChunkedProducts: \(a.shape) and \(b.shape)")
        let (p, q) = (a.shape[1], b.shape[1])
        precondition(total.shape == [p, q], "addChunkedProducts: total \(total.shape) should be [\(p), \(q)]")
        checkChunks(rowChunks, rows: a.shape[0], "addChunkedProducts")
        guard p > 0, q > 0, !rowChunks.isEmpty else { return }
        let starts = rowChunks.map(\.lowerBound) + [rowChunks[rowChunks.count - 1].upperBound]
        // Blocks of output rows (multiples of the kernel's 8), enough for every thread to have work.
        let blockRows = Swift.max(8, (p / (4 * ComputeThreads.maximum) + 7) / 8 * 8)
        let blocks = (p + blockRows - 1) / blockRows
        let scratch = millrace_chunked_outer_scratch(rowChunks.count)
        let pairs = ChunkTree(chunkCount: rowChunks.count).kernelSchedule
        let pairCount = pairs.count / 2
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                total.withUnsafeMutableBufferPointer { pt in
                    starts.withUnsafeBufferPointer { ps in
                        pairs.withUnsafeBufferPointer { pp in
                            let shared = UncheckedSendable((pa.baseAddress!, pb.baseAddress!, pt.baseAddress!, ps.baseAddress!, pp.baseAddress))
                            ComputeThreads.forEachChunk(blocks, threads: ComputeThreads.maximum) { _, block in
                                let (a, b, t, s, pairs) = shared.value
                                // Cache-line aligned: the kernel stores whole 64-byte vectors into the
                                // scratch, and a store split across two lines costs the MLP's weight
                                // gradient 10-25% (measured on Zen 5).
                                withUnsafeTemporaryAllocation(byteCount: scratch * MemoryLayout<Float>.stride, alignment: 64) { raw in
                                    millrace_add_chunked_outer_products(
                                        a, p, b, q, s, rowChunks.count, pairs, pairCount, block * blockRows, Swift.min(p, (block + 1) * blockRows),
                                        q, t, q, -1, raw.baseAddress!.assumingMemoryBound(to: Float.self))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `total += ` the column sums of `matrix` `[rows, columns]`: each chunk's rows added in
    /// order, the chunk sums up the `ChunkTree` (a layer's bias gradient).
    public static func addChunkedColumnSums(of matrix: Tensor, rowChunks: [Range<Int>], into total: inout Tensor) {
        precondition(matrix.rank == 2 && total.shape == [matrix.shape[1]], "addChunkedColumnSums: \(matrix.shape) into \(total.shape)")
        checkChunks(rowChunks, rows: matrix.shape[0], "addChunkedColumnSums")
        let columns = matrix.shape[1]
        guard columns > 0, !rowChunks.isEmpty else { return }
        var partials = Tensor.zeros([rowChunks.count, columns])  // cache-line aligned, unlike an array
        matrix.withUnsafeBufferPointer { m in
            partials.withUnsafeMutableBufferPointer { pw in
                for (chunk, range) in rowChunks.enumerated() {
                    let partial = pw.baseAddress! + chunk * columns
                    for row in range {
                        let base = row * columns
                        for column in 0..<columns { partial[column] += m[base + column] }
                    }
                }
                total.withUnsafeMutableBufferPointer { pt in
                    ChunkTree(chunkCount: rowChunks.count).accumulate(
                        partials: pw.baseAddress!, stride: columns, width: columns, into: pt.baseAddress!)
                }
            }
        }
    }
}

extension Tensor {
    /// Traps unless `rowChunks` are consecutive ranges from 0 to `rows` (the kernels read every row they name).
    fileprivate static func checkChunks(_ rowChunks: [Range<Int>], rows: Int, _ caller: String) {
        let consecutive = zip(rowChunks, rowChunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }
        precondition(
            (rowChunks.first?.lowerBound ?? 0) == 0 && consecutive && (rowChunks.last?.upperBound ?? 0) == rows,
            "\(caller): row chunks \(rowChunks.prefix(4))... do not cover rows 0..<\(rows) in order")
    }
}

/// The (chunk, block) pairs of a set of products, numbered consecutively for one parallel loop.
struct ChunkJobs {
    /// Each chunk's product cut.
    let chunks: [ProductBlocks]
    /// The first job of each chunk, and the total at the end.
    private let starts: [Int]

    init(chunks: [ProductBlocks]) {
        self.chunks = chunks
        var starts = [0]
        for blocks in chunks { starts.append(starts[starts.count - 1] + blocks.count) }
        self.starts = starts
    }

    /// The number of jobs.
    var count: Int { starts[starts.count - 1] }

    /// The chunk and block of job `index`.
    func job(_ index: Int) -> (chunk: Int, block: Int) {
        var low = 0
        var high = chunks.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return (low, index - starts[low])
    }
}
