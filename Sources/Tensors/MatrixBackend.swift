import CDNNL

/// The library that computes Millrace's matrix products: oneDNN's `dnnl_sgemm`.
///
/// Every call runs on the calling thread alone (oneDNN's own OpenMP threading is limited to one
/// thread per caller); `Tensor.sgemm` splits products into blocks of its own and runs those on
/// `ComputeThreads`, so results do not depend on the thread count.
public enum MatrixBackend {
    /// The backend's name and version, e.g. `oneDNN 2.6.3`.
    public static var description: String { "\(name) \(version)" }

    /// The backend's name.
    public static var name: String { "oneDNN" }

    /// The version of the oneDNN library loaded at run time (`dnnl_version()`), e.g. `2.6.3`.
    public static var version: String {
        guard let info = dnnl_version() else { return "unknown" }
        return "\(info.pointee.major).\(info.pointee.minor).\(info.pointee.patch)"
    }

    /// Limits oneDNN's own threading to the calling thread; returns whether the library threads
    /// with OpenMP (Debian's build does), whose per-thread limit was then set to 1.
    static func limitLibraryThreadsToCallingThread() -> Bool {
        millrace_dnnl_use_calling_thread_only() == 1
    }

    /// Computes one row-major `C = alpha * op(A) * op(B) + beta * C` with a single oneDNN call on
    /// the calling thread. `m`, `n` and `k` must be positive and the pointers valid.
    static func multiplyOnCallingThread(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = limitLibraryThreadsToCallingThread()
        let status = dnnl_sgemm(
            transposeA ? 84 : 78, transposeB ? 84 : 78,  // "T" or "N"
            dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb),
            beta, c, dnnl_dim_t(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue) for \(m)x\(n)x\(k)")
    }
}
