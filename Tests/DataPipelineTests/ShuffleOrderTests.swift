import XCTest

@testable import DataPipeline

final class ShuffleOrderTests: XCTestCase {
    func testEveryOrderIsAPermutation() {
        for count in [0, 1, 2, 3, 5, 16, 17, 100, 1000, 4097] {
            for epoch in 0..<3 {
                let order = ShuffleOrder(count: count, seed: 42, stream: [UInt64(epoch)])
                XCTAssertEqual((0..<count).map(order.index(at:)).sorted(), Array(0..<count), "count \(count)")
            }
        }
    }

    func testSeedAndEpochChangeTheOrder() {
        let a = ShuffleOrder(count: 1000, seed: 1, stream: [0])
        let b = ShuffleOrder(count: 1000, seed: 1, stream: [0])
        let c = ShuffleOrder(count: 1000, seed: 1, stream: [1])
        let d = ShuffleOrder(count: 1000, seed: 2, stream: [0])
        let orderA = (0..<1000).map(a.index(at:))
        XCTAssertEqual(orderA, (0..<1000).map(b.index(at:)))
        XCTAssertNotEqual(orderA, (0..<1000).map(c.index(at:)))
        XCTAssertNotEqual(orderA, (0..<1000).map(d.index(at:)))
        // A shuffle, not a rotation: few fixed points and no long runs of consecutive indices.
        XCTAssertLessThan(zip(orderA, 0..<1000).filter { $0 == $1 }.count, 10)
        XCTAssertLessThan(zip(orderA, orderA.dropFirst()).filter { $1 == $0 + 1 }.count, 10)
        XCTAssertEqual((0..<5).map(ShuffleOrder(count: 5, seed: 1, stream: [0], shuffled: false).index(at:)), [0, 1, 2, 3, 4])
    }

    func testPositionsAreUniformlySpread() {
        // Over 2,000 seeds, where does index 0 land among 10 positions? Each about 200 times.
        var counts = [Int](repeating: 0, count: 10)
        for seed in 0..<2000 {
            let order = ShuffleOrder(count: 10, seed: UInt64(seed), stream: [0])
            counts[(0..<10).first { order.index(at: $0) == 0 }!] += 1
        }
        XCTAssertTrue(counts.allSatisfy { (140...260).contains($0) }, "\(counts)")
    }

    func testWindowPlanCoversEveryRowOnce() {
        let counts = [5, 0, 7, 3, 9, 1]
        let plan = WindowPlan(chunkCounts: counts, windowChunks: 2, seed: 3, epoch: 1, shuffle: true)
        XCTAssertEqual(plan.count, 25)
        let addresses = (0..<plan.count).map { plan.address(of: $0) }
        XCTAssertEqual(Set(addresses.map { "\($0.chunk):\($0.row)" }).count, 25)
        XCTAssertTrue(addresses.allSatisfy { $0.row < counts[$0.chunk] })
        // Windows are contiguous in the stream: the window index never decreases.
        XCTAssertEqual(addresses.map(\.window), addresses.map(\.window).sorted())
    }

    /// The four-at-a-time `indices(at:)` gives `index(at:)` of each position, in the order asked,
    /// for sizes below, at and past a multiple of four and for unshuffled orders.
    func testIndicesOfManyPositionsAreEachPositionsIndex() {
        for count in [1, 2, 3, 4, 5, 7, 17, 100, 1000, 20_000] {
            for shuffled in [true, false] {
                let order = ShuffleOrder(count: count, seed: 11, stream: [UInt64(count)], shuffled: shuffled)
                var positions = Array(0..<count)
                positions.reverse()
                positions += [0, count - 1, count / 2]
                XCTAssertEqual(order.indices(at: positions), positions.map(order.index(at:)), "count \(count), shuffled \(shuffled)")
            }
        }
        XCTAssertEqual(ShuffleOrder(count: 10, seed: 1, stream: []).indices(at: []), [])
    }
}
