import ArgumentParser
import SystemIO
import Training

/// The memory check of the `bench` commands: sizes from flags are multiplied with overflow
/// checks and compared with the memory available before anything is allocated, so that
/// `bench gemm --sizes 99999999` is one error line naming both figures, not a trap or a minute
/// of swapping.
enum BenchBudget {
    /// Throws a `ValidationError` (exit 1) unless `bytes` (`Int.max`: beyond 64 bits) fit the
    /// memory available; `what` names the flag and value.
    static func check(_ what: String, bytes: Int, fix: String) throws {
        guard let available = MemoryAvailable.current(), bytes > available.bytes else { return }
        let error = MemoryBudgetError(what: what, neededBytes: bytes, limitBytes: available.bytes, limitSource: available.source, fix: fix)
        throw ValidationError(error.description)
    }

    /// The bytes of `floats` single-precision values, saturating at `Int.max`.
    static func bytes(ofFloats floats: Int) -> Int {
        MemoryEstimate.multiply(floats, MemoryLayout<Float>.size)
    }
}
