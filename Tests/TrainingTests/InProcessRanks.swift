import Foundation
import Training

/// The ranks of a data-parallel run inside one process, each on a thread of its own, whose
/// collectives meet in memory: the training step's multi-rank paths without MPI. A collective
/// returns once every rank has called it; one that waits two minutes, or whose run a failed
/// rank abandoned, throws instead of hanging.
final class InProcessRanks: @unchecked Sendable {
    /// A collective that could not complete (a rank failed or called different collectives).
    struct Stalled: Error, CustomStringConvertible {
        let description: String
    }

    /// The number of ranks.
    let rankCount: Int
    private let condition = NSCondition()
    private var deposits: [[Double]?]
    private var arrived = 0
    private var round = 0
    private var completed: [[Double]] = []
    private var abandoned = false

    private init(rankCount: Int) {
        self.rankCount = rankCount
        deposits = [[Double]?](repeating: nil, count: rankCount)
    }

    /// Runs `body` once per rank, each on its own thread with that rank's communicator, and
    /// returns the results in rank order (or the first rank's error).
    static func run<Result: Sendable>(_ rankCount: Int, _ body: @escaping @Sendable (any Communicator) throws -> Result) throws -> [Result] {
        let ranks = InProcessRanks(rankCount: rankCount)
        let results = ResultSlots<Result>(count: rankCount)
        let finished = DispatchSemaphore(value: 0)
        for rank in 0..<rankCount {
            let thread = Thread {
                do {
                    results.set(rank, .success(try body(InProcessCommunicator(ranks: ranks, rank: rank))))
                } catch {
                    results.set(rank, .failure(error))
                    ranks.abandon()
                }
                finished.signal()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        for _ in 0..<rankCount { finished.wait() }
        return try results.values()
    }

    /// Every rank's `values` for one collective, in rank order.
    func gather(_ values: [Double], rank: Int) throws -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        deposits[rank] = values
        arrived += 1
        let mine = round
        if arrived == rankCount {
            completed = deposits.map { $0 ?? [] }
            deposits = [[Double]?](repeating: nil, count: rankCount)
            arrived = 0
            round += 1
            condition.broadcast()
            return completed
        }
        let deadline = Date(timeIntervalSinceNow: 120)
        while round == mine && !abandoned {
            if !condition.wait(until: deadline) { abandoned = true }
        }
        // `completed` stays this round's until every rank, this one included, joins the next.
        guard round != mine else { throw Stalled(description: "InProcessRanks: rank \(rank)'s collective \(mine) did not complete") }
        return completed
    }

    private func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }
}

/// One rank's view of `InProcessRanks`.
final class InProcessCommunicator: Communicator {
    private let ranks: InProcessRanks
    let rank: Int
    var rankCount: Int { ranks.rankCount }

    init(ranks: InProcessRanks, rank: Int) {
        self.ranks = ranks
        self.rank = rank
    }

    func allGather(_ values: [Double], counts: [Int]) throws -> [Double] {
        let all = try ranks.gather(values, rank: rank)
        guard all.map(\.count) == counts else {
            throw InProcessRanks.Stalled(description: "allGather: ranks gave \(all.map(\.count)) values, expected \(counts)")
        }
        return Array(all.joined())
    }

    func startAllGather(_ values: [Float], counts: [Int]) throws -> any PendingAllGather {
        // Floats travel exactly as doubles.
        Gathered(values: try allGather(values.map(Double.init), counts: counts).map(Float.init))
    }

    func sum(_ values: inout [Float]) throws {
        var wide = values.map(Double.init)
        try sum(&wide)
        values = wide.map(Float.init)
    }

    func sum(_ values: inout [Double]) throws {
        let all = try ranks.gather(values, rank: rank)
        values = all.dropFirst().reduce(all[0]) { total, next in zip(total, next).map(+) }
    }

    private final class Gathered: PendingAllGather {
        let values: [Float]
        init(values: [Float]) { self.values = values }
        func test() throws -> Bool { true }
        func wait() throws -> [Float] { values }
    }
}

/// Each rank's outcome, written by its thread.
private final class ResultSlots<Result: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Swift.Result<Result, any Error>?]

    init(count: Int) { slots = .init(repeating: nil, count: count) }

    func set(_ rank: Int, _ outcome: Swift.Result<Result, any Error>) { lock.withLock { slots[rank] = outcome } }

    func values() throws -> [Result] {
        try lock.withLock { slots }.map { outcome in
            guard let outcome else { throw InProcessRanks.Stalled(description: "a rank returned nothing") }
            return try outcome.get()
        }
    }
}
