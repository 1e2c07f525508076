extension Tensor {
    /// The matrix product `op(a) * op(b)` of two rank-2 tensors, where `op` transposes when asked.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, threads: Int? = nil
    ) -> Tensor {
        let (m, k) = matrixDimensions(a, transposed: transposeA)
        let (kb, n) = matrixDimensions(b, transposed: transposeB)
        precondition(k == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
        var c = Tensor(shape: [m, n], unsafeUninitialized: { _ in })
        multiply(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0, into: &c, threads: threads)
        return c
    }

    /// `c = alpha * op(a) * op(b) + beta * c` (the BLAS `sgemm`), split into blocks that run on up
    /// to `threads` threads (default `ComputeThreads.maximum`). With `beta == 0`, `c`'s previous
    /// contents are not read.
    public static func multiply(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: inout Tensor, threads: Int? = nil
    ) {
        let (m, k) = matrixDimensions(a, transposed: transposeA)
        let (kb, n) = matrixDimensions(b, transposed: transposeB)
        precondition(k == kb, "multiply: inner dimensions differ: \(a.shape) x \(b.shape)")
        precondition(c.shape == [m, n], "multiply: output shape \(c.shape) should be [\(m), \(n)]")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress, lda: a.shape[1], b: pb.baseAddress, ldb: b.shape[1],
                        beta: beta, c: pc.baseAddress, ldc: n, threads: threads ?? ComputeThreads.maximum)
                }
            }
        }
    }

    private static func matrixDimensions(_ t: Tensor, transposed: Bool) -> (rows: Int, columns: Int) {
        precondition(t.rank == 2, "matrix multiply needs rank-2 tensors, got shape \(t.shape)")
        return transposed ? (t.shape[1], t.shape[0]) : (t.shape[0], t.shape[1])
    }

    /// The raw row-major `sgemm` on pointers: the product is cut into blocks of output columns
    /// (or rows) that depend only on its shape (`ProductBlocks`), and the blocks run on up to
    /// `threads` threads, one oneDNN call each. Every output element is computed by the same call
    /// whatever the thread count, so the result has the same bits for any `threads`.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int, threads: Int
    ) {
        guard m > 0, n > 0, let c else { return }
        guard k > 0, alpha != 0, let a, let b else { return scale(c, rows: m, columns: n, stride: ldc, by: beta) }
        let blocks = ProductBlocks(m: m, n: n, k: k)
        let shared = UncheckedSendable((a, b, c))
        ComputeThreads.forEachChunk(blocks.count, threads: threads) { _, block in
            let (a, b, c) = shared.value
            multiplyBlock(
                block, of: blocks, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Block `block` of `blocks` (the cut of this `m` x `n` x `k` product) as one oneDNN call on
    /// the calling thread: what every `sgemm` block runs, so a block's bits depend only on the
    /// product's shape and operands.
    static func multiplyBlock(
        _ block: Int, of blocks: ProductBlocks, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let range = blocks.range(block)
        if blocks.splitsColumns {
            MatrixBackend.multiplyOnCallingThread(
                transposeA: transposeA, transposeB: transposeB, m: m, n: range.count, k: k, alpha: alpha,
                a: a, lda: lda, b: b + (transposeB ? range.lowerBound * ldb : range.lowerBound), ldb: ldb,
                beta: beta, c: c + range.lowerBound, ldc: ldc)
        } else {
            MatrixBackend.multiplyOnCallingThread(
                transposeA: transposeA, transposeB: transposeB, m: range.count, n: n, k: k, alpha: alpha,
                a: a + (transposeA ? range.lowerBound : range.lowerBound * lda), lda: lda, b: b, ldb: ldb,
                beta: beta, c: c + range.lowerBound * ldc, ldc: ldc)
        }
    }

    /// The row-major `sgemm` as one oneDNN call on the calling thread, for callers that run many
    /// small products in parallel themselves (a convolution's per-image products). Its result for
    /// given operands never depends on the thread count.
    public static func sgemmOnCallingThread(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int
    ) {
        guard m > 0, n > 0, let c else { return }
        guard k > 0, alpha != 0, let a, let b else { return scale(c, rows: m, columns: n, stride: ldc, by: beta) }
        MatrixBackend.multiplyOnCallingThread(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// `c *= beta` over an `rows` x `columns` block (zeros when `beta` is 0, whatever `c` held).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        guard beta != 1 else { return }
        for row in 0..<rows {
            let start = c + row * stride
            if beta == 0 {
                start.update(repeating: 0, count: columns)
            } else {
                for column in 0..<columns { start[column] *= beta }
            }
        }
    }

    /// The backend that computes matrix products and its version, e.g. `oneDNN 2.6.3`.
    public static var matrixKernelName: String { MatrixBackend.description }
}
