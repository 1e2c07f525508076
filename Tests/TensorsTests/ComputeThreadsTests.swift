import Synchronization
import TestSupport
import XCTest

@testable import Tensors

final class ComputeThreadsTests: XCTestCase {
    /// Per-worker "inside a chunk" flags and a count of chunks that found their worker busy.
    private final class WorkerFlags: Sendable {
        final class Flag: Sendable { let value = Atomic<Bool>(false) }
        let inside: [Flag]
        let clashes = Atomic<Int>(0)
        init(_ count: Int) { inside = (0..<count).map { _ in Flag() } }
    }

    /// Runs `count` chunks on `threads` threads and returns how often each chunk ran and the
    /// number of times a worker index was out of range or used by two chunks at once.
    private func runChunks(_ count: Int, threads: Int, nested: Bool = false) -> (runs: [Int], badWorkers: Int) {
        var runs = [Int](repeating: 0, count: count)
        let workers = max(1, min(threads, count))
        let flags = WorkerFlags(workers)
        let outOfRange = Atomic<Int>(0)
        runs.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            withUnsafePointer(to: outOfRange) { outOfRange in
                let counter = UncheckedSendable(outOfRange)
                ComputeThreads.forEachChunk(count, threads: threads) { worker, chunk in
                    guard worker >= 0 && worker < workers else {
                        counter.value.pointee.add(1, ordering: .relaxed)
                        return
                    }
                    if flags.inside[worker].value.exchange(true, ordering: .acquiring) { flags.clashes.add(1, ordering: .relaxed) }
                    if nested {
                        // A call from inside a chunk: the pool is taken, so this one runs on Dispatch.
                        let inner = Atomic<Int>(0)
                        withUnsafePointer(to: inner) { inner in
                            let innerCounter = UncheckedSendable(inner)
                            ComputeThreads.forEachChunk(5, threads: 2) { _, _ in innerCounter.value.pointee.add(1, ordering: .relaxed) }
                        }
                        shared.value[chunk] += inner.load(ordering: .relaxed) == 5 ? 1 : 100
                    } else {
                        shared.value[chunk] += 1
                    }
                    flags.inside[worker].value.store(false, ordering: .releasing)
                }
            }
        }
        return (runs, outOfRange.load(ordering: .relaxed) + flags.clashes.load(ordering: .relaxed))
    }

    func testEveryChunkRunsExactlyOnceOnAnyThreadCount() {
        for threads in 1...4 {
            for count in [1, 2, 3, 17, 256] {
                // Many jobs back to back: helpers go from one job to the next while others finish.
                for _ in 0..<50 {
                    let (runs, badWorkers) = runChunks(count, threads: threads)
                    XCTAssertEqual(runs, [Int](repeating: 1, count: count), "\(count) chunks on \(threads) threads")
                    XCTAssertEqual(badWorkers, 0)
                }
            }
        }
    }

    func testNestedCallsRunEveryChunk() {
        let (runs, badWorkers) = runChunks(9, threads: 2, nested: true)
        XCTAssertEqual(runs, [Int](repeating: 1, count: 9))
        XCTAssertEqual(badWorkers, 0)
    }

    func testJobsAfterHelpersHaveFallenAsleep() throws {
        // The helpers sleep after WorkerPool.spinLimit of idleness; a later job must wake them. Once
        // every helper sleeps (so the one a 2-thread job uses does too), the caller's first chunk
        // waits until a helper has run a chunk, so the job can only finish with a helper that woke
        // (the waits only bound a hang).
        try XCTSkipIf(ComputeThreads.processorCount < 2, "no helper threads on one processor")
        let pool = WorkerPool.shared
        for _ in 0..<3 {
            XCTAssertEqual(runChunks(8, threads: 2).runs, [Int](repeating: 1, count: 8))
            XCTAssertTrue(waitUntil { pool.sleepingHelpers == pool.helperCount }, "the helpers never all went to sleep")
            let helperRan = Atomic<Bool>(false)
            let callerSawHelper = Atomic<Bool>(false)
            withUnsafePointer(to: helperRan) { ran in
                withUnsafePointer(to: callerSawHelper) { saw in
                    let (ran, saw) = (UncheckedSendable(ran), UncheckedSendable(saw))
                    ComputeThreads.forEachChunk(8, threads: 2) { worker, _ in
                        if worker > 0 {
                            ran.value.pointee.store(true, ordering: .releasing)
                        } else if !saw.value.pointee.load(ordering: .relaxed) {
                            let helperRan = waitUntil(timeout: 30) { ran.value.pointee.load(ordering: .acquiring) }
                            saw.value.pointee.store(helperRan, ordering: .relaxed)
                        }
                    }
                }
            }
            // A helper ran a chunk: the caller saw it on its first chunk, or (on a busy machine)
            // the woken helper took every chunk before the caller took one.
            XCTAssertTrue(
                callerSawHelper.load(ordering: .relaxed) || helperRan.load(ordering: .acquiring), "no helper woke up for the job")
        }
    }
}
