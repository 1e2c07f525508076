import XCTest

@testable import DataPipeline

/// The public samplers: orders that are pure functions of (seed, epoch, position).
final class SamplerTests: XCTestCase {
    func testWeightedSamplerAliasTableGivesExactlyTheWeights() throws {
        // Walker's alias method: slot j is chosen with probability 1/n, then j itself with
        // probability[j], else alias[j]. The implied probability of each index must equal its weight's share.
        let weights: [Double] = [0, 1, 2, 3, 0.5, 1.5]
        let sampler = try XCTUnwrap(WeightedSampler(weights: weights, count: 100, seed: 1))
        let n = Double(weights.count)
        let total = weights.reduce(0, +)
        var implied = [Double](repeating: 0, count: weights.count)
        for slot in weights.indices {
            implied[slot] += sampler.probability[slot] / n
            implied[sampler.alias[slot]] += (1 - sampler.probability[slot]) / n
        }
        for (index, weight) in weights.enumerated() { XCTAssertEqual(implied[index], weight / total, accuracy: 1e-12, "index \(index)") }
    }

    func testWeightedSamplerDrawsArePureAndFollowTheWeights() throws {
        let sampler = try XCTUnwrap(WeightedSampler(weights: [0, 1, 0, 3], count: 4000, seed: 9))
        let draws = (0..<4000).map { sampler.index(at: $0, epoch: 2) }
        XCTAssertEqual(draws, (0..<4000).map { sampler.index(at: $0, epoch: 2) }, "a pure function of (seed, epoch, position)")
        XCTAssertNotEqual(draws, (0..<4000).map { sampler.index(at: $0, epoch: 3) }, "each epoch draws anew")
        XCTAssertEqual(Set(draws), [1, 3], "zero weights are never drawn")
        // 4000 draws with p = 1/4: mean 1000, standard deviation about 27; this seed's count is fixed.
        let ones = draws.filter { $0 == 1 }.count
        XCTAssertTrue((1000 - 150)...(1000 + 150) ~= ones, "\(ones)")
        XCTAssertNil(WeightedSampler(weights: [0, 0], count: 1, seed: 0))
        XCTAssertNil(WeightedSampler(weights: [1, -1], count: 1, seed: 0))
        XCTAssertNil(WeightedSampler(weights: [1, .nan], count: 1, seed: 0))
    }

    func testShuffledSamplerBatchLookupIsThePermutationPositionByPosition() {
        let sampler = ShuffledSampler(count: 1000, seed: 3)
        for epoch in [0, 5] {
            let whole = sampler.indices(at: Array(0..<1000), epoch: epoch)
            XCTAssertEqual(whole.sorted(), Array(0..<1000), "every sample once per epoch")
            XCTAssertEqual(sampler.indices(at: [7, 400, 999], epoch: epoch), [7, 400, 999].map { sampler.index(at: $0, epoch: epoch) })
        }
        XCTAssertNotEqual(sampler.indices(at: Array(0..<20), epoch: 0), sampler.indices(at: Array(0..<20), epoch: 1))
        XCTAssertEqual(SequentialSampler(count: 5).indices(at: [4, 0, 2], epoch: 9), [4, 0, 2])
    }

    func testWindowedChunkSamplerVisitsEverySampleOnceWindowByWindow() {
        let counts = [5, 3, 7, 2, 6, 4, 1]
        for sequential in [false, true] {
            let sampler = WindowedChunkSampler(chunkCounts: counts, windowChunks: 3, seed: 4, sequentialChunks: sequential)
            XCTAssertEqual(sampler.count, 28)
            let windows = sampler.windows(epoch: 1)
            XCTAssertEqual(windows.flatMap { $0 }.sorted(), Array(0..<7))
            if sequential { XCTAssertEqual(windows, [[0, 1, 2], [3, 4, 5], [6]]) }
            var seen = Set<[Int]>()
            var position = 0
            for window in windows {
                let size = window.reduce(0) { $0 + counts[$1] }
                for _ in 0..<size {
                    let address = sampler.address(at: position, epoch: 1)
                    XCTAssertTrue(window.contains(address.chunk), "position \(position) stays in its window")
                    XCTAssertTrue(address.row < counts[address.chunk])
                    seen.insert([address.chunk, address.row])
                    position += 1
                }
            }
            XCTAssertEqual(seen.count, 28)
        }
        let shuffled = WindowedChunkSampler(chunkCounts: counts, windowChunks: 3, seed: 4)
        XCTAssertNotEqual(shuffled.windows(epoch: 0), shuffled.windows(epoch: 1), "chunk order changes per epoch")
    }
}
