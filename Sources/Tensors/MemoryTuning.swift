import CMatrixKernel

/// Allocator settings for a training process.
public enum MemoryTuning {
    /// Keeps freed large blocks in the heap instead of returning them to the system, so that the
    /// tensors a training step allocates every step reuse memory that is already mapped (on this
    /// kind of machine a fresh page costs about 2 µs to fault in: 4-5 ms for an 8 MB tensor).
    /// Process-wide; the `millrace` command calls it at start-up. Resident memory then stays at
    /// the peak of a step rather than shrinking between steps. Returns whether the allocator took
    /// the settings (glibc only).
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        millrace_keep_freed_memory() == 1
    }
}
