import CMatrixKernel

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

    /// `c = alpha * op(a) * op(b) + beta * c` (the BLAS `sgemm`), splitting large products
    /// across up to `threads` threads (default `ComputeThreads.maximum`). With `beta == 0`, `c`'s
    /// previous contents are not read.
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

    /// Products smaller than this many floating-point operations (32 M) run on one thread: below
    /// it, waking a second thread costs more than it saves on this kind of machine.
    static let parallelThreshold = 1 << 25

    /// The raw row-major `sgemm` on pointers, split into column (or row) blocks across threads.
    /// Every output element is computed by one thread with the same arithmetic, so the result
    /// does not depend on `threads`.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int, threads: Int
    ) {
        guard m > 0, n > 0, let c else { return }
        let work = 2 * m * n * k
        let parts = work < parallelThreshold ? 1 : Swift.max(1, Swift.min(threads, Swift.max(m / 6, n / 16)))
        let splitColumns = n >= m
        let unit = splitColumns ? 16 : 6
        let extent = splitColumns ? n : m
        let blocks = (extent + unit - 1) / unit
        let shared = UncheckedSendable((a, b, c))
        ComputeThreads.concurrentPerform(parts) { part in
            let (a, b, c) = shared.value
            let start = blocks * part / parts * unit
            let end = Swift.min(extent, blocks * (part + 1) / parts * unit)
            guard start < end else { return }
            let status: Int32
            if splitColumns {
                let bOffset = transposeB ? start * ldb : start
                status = millrace_sgemm(
                    transposeA ? 1 : 0, transposeB ? 1 : 0, m, end - start, k, alpha, a, lda,
                    b.map { $0 + bOffset }, ldb, beta, c + start, ldc)
            } else {
                let aOffset = transposeA ? start : start * lda
                status = millrace_sgemm(
                    transposeA ? 1 : 0, transposeB ? 1 : 0, end - start, n, k, alpha,
                    a.map { $0 + aOffset }, lda, b, ldb, beta, c + start * ldc, ldc)
            }
            precondition(status == 0, "sgemm: out of memory for packing buffers")
        }
    }

    /// The name of the matrix-multiply micro-kernel chosen for this processor.
    public static var matrixKernelName: String {
        String(cString: millrace_sgemm_kernel_name())
    }
}
