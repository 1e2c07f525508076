import CMatrixKernel
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Long-lived helper threads that run the chunks of one job at a time beside the calling thread.
///
/// A matrix product of a training step takes 20-200 µs; waking a sleeping thread through
/// Dispatch takes about as long, so a two-way split of such a product gained nothing. Helpers
/// here spin for a short while (`spinLimit`) after each job before they sleep, so back-to-back
/// products of a step find them awake. Chunks are claimed from a shared counter and the caller
/// takes part too: a helper that the machine does not schedule only means the others do more
/// chunks. Which thread runs a chunk never changes what the chunk computes.
///
/// Every field that helpers read is atomic; a chunk is claimed with a compare-and-swap of a
/// word that holds the job's number and the next chunk, so a helper that wakes late for an old
/// job can never claim a chunk of a newer one, and a claimed chunk's job (its closure on the
/// caller's stack) is alive until the chunk is done, because the caller waits for every chunk.
final class WorkerPool: @unchecked Sendable {
    /// The pool shared by the compute kernels: one helper per processor beyond the first.
    static let shared = WorkerPool(helpers: ComputeThreads.processorCount - 1)

    /// How long a helper spins for the next job before it sleeps, in nanoseconds.
    static let spinLimit: UInt64 = 300_000

    private static let chunkBits = 32
    private static let chunkMask = (1 << chunkBits) - 1

    /// The number of helper threads (one per processor beyond the first).
    let helperCount: Int
    private let started = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)
    private let job = Atomic<Int>(0)
    private let claim = Atomic<Int>(0)
    private let chunkCount = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let helpersWanted = Atomic<Int>(0)
    private let body = Atomic<UInt>(0)
    private let sleepers: [Sleeper]

    /// A helper's bed: a flag saying it sleeps and the semaphore it sleeps on.
    private final class Sleeper: Sendable {
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    /// Helpers asleep on their semaphore now (for tests).
    var sleepingHelpers: Int { sleepers.filter { $0.asleep.load(ordering: .acquiring) }.count }

    private init(helpers: Int) {
        helperCount = Swift.max(0, helpers)
        sleepers = (0..<Swift.max(0, helpers)).map { _ in Sleeper() }
    }

    /// Runs `body(worker, chunk)` for every chunk in `0..<count` on the calling thread (worker 0)
    /// and up to `threads - 1` helpers (workers 1 and up, each below `min(threads, count)`).
    /// Returns false, having run nothing, when the pool cannot take the job (no helpers, or
    /// another job is running: a nested or concurrent call).
    func run(_ count: Int, threads: Int, _ body: @Sendable (_ worker: Int, _ chunk: Int) -> Void) -> Bool {
        guard helperCount > 0, count > 0, count < WorkerPool.chunkMask,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        startHelpersOnce()
        return withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                let number = job.load(ordering: .relaxed) + 1
                // Releasing: a helper that sees this count also sees the previous job's claim closed.
                chunkCount.store(count, ordering: .releasing)
                remaining.store(count, ordering: .relaxed)
                helpersWanted.store(Swift.min(threads, count) - 1, ordering: .relaxed)
                self.body.store(UInt(bitPattern: pointer), ordering: .relaxed)
                claim.store(number << WorkerPool.chunkBits, ordering: .sequentiallyConsistent)
                job.store(number, ordering: .sequentiallyConsistent)
                for sleeper in sleepers.prefix(Swift.min(threads, count) - 1)
                where sleeper.asleep.exchange(false, ordering: .sequentiallyConsistent) {
                    sleeper.wake.signal()
                }
                work(on: number, as: 0)
                while remaining.load(ordering: .acquiring) > 0 { spinPause() }
                // Close the job before the closure goes: a helper that read this job's exhausted
                // claim earlier, then the next job's larger chunk count, must fail its
                // compare-and-swap instead of claiming a chunk that does not exist.
                claim.store(number << WorkerPool.chunkBits | WorkerPool.chunkMask, ordering: .sequentiallyConsistent)
                return true
            }
        }
    }

    /// Claims and runs chunks of job `number` as `worker` until none are left.
    private func work(on number: Int, as worker: Int) {
        guard var chunk = claimChunk(of: number) else { return }
        // The chunk is ours and its job cannot end before we finish it: the closure is alive. It
        // is copied once for all the chunks this worker claims (a copy per chunk retained and
        // released its context each time, an atomic that two threads fought over: 6% of a
        // ResNet step), and released before the last of them is counted done, so the caller
        // never sees its closure still held when every chunk is done.
        do {
            guard let pointer = UnsafePointer<@Sendable (Int, Int) -> Void>(bitPattern: body.load(ordering: .relaxed)) else {
                remaining.subtract(1, ordering: .releasing)
                return
            }
            let run = pointer.pointee
            while true {
                run(worker, chunk)
                // A claimed next chunk keeps the job open while this one is counted done.
                guard let next = claimChunk(of: number) else { break }
                remaining.subtract(1, ordering: .releasing)
                chunk = next
            }
        }
        remaining.subtract(1, ordering: .releasing)
    }

    /// Claims the next chunk of job `number`, or nil when the job has none left (or is over).
    private func claimChunk(of number: Int) -> Int? {
        while true {
            let current = claim.load(ordering: .acquiring)
            guard current >> WorkerPool.chunkBits == number else { return nil }
            let chunk = current & WorkerPool.chunkMask
            guard chunk < chunkCount.load(ordering: .acquiring) else { return nil }
            if claim.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged { return chunk }
        }
    }

    private func startHelpersOnce() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        for index in 0..<helperCount {
            let context = Unmanaged.passRetained(HelperContext(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            if pthread_create(
                &thread, nil,
                { raw in
                    guard let raw else { return nil }
                    let context = Unmanaged<HelperContext>.fromOpaque(raw).takeRetainedValue()
                    context.pool.helperLoop(index: context.index)
                    return nil
                }, context) == 0
            {
                pthread_detach(thread)
            } else {
                Unmanaged<HelperContext>.fromOpaque(context).release()
            }
        }
    }

    /// What a helper thread starts with.
    private final class HelperContext {
        let pool: WorkerPool
        let index: Int
        init(pool: WorkerPool, index: Int) {
            self.pool = pool
            self.index = index
        }
    }

    private func helperLoop(index: Int) {
        let sleeper = sleepers[index]
        var seen = 0
        while true {
            var spinStart = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while job.load(ordering: .acquiring) == seen {
                spinPause()
                spins += 1
                guard spins & 15 == 0 else { continue }
                guard DispatchTime.now().uptimeNanoseconds - spinStart > WorkerPool.spinLimit else { continue }
                sleeper.asleep.store(true, ordering: .sequentiallyConsistent)
                if job.load(ordering: .sequentiallyConsistent) != seen {
                    // A job came after all: take the flag back, or consume the signal its caller sends.
                    if !sleeper.asleep.exchange(false, ordering: .sequentiallyConsistent) { sleeper.wake.wait() }
                } else {
                    sleeper.wake.wait()
                }
                spinStart = DispatchTime.now().uptimeNanoseconds
            }
            seen = job.load(ordering: .acquiring)
            guard index < helpersWanted.load(ordering: .relaxed) else { continue }
            work(on: seen, as: index + 1)
        }
    }

    /// One step of a wait: the `pause` hint, then a yield of the processor, so that on a busy
    /// machine a waiting thread hands its core to whatever else is ready there (often this
    /// process's own other thread) instead of burning its time slice.
    @inline(__always)
    private func spinPause() {
        millrace_spin_pause()
        sched_yield()
    }
}
