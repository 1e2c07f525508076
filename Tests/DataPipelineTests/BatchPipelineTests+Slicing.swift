import DataPipeline
import TestSupport
import XCTest

/// Data parallelism: `slicing`, the one way ranks share the data.
extension BatchPipelineTests {
    /// Slicing for data parallelism: batches of 8 cut into chunks of 3, dealt to ranks in
    /// contiguous runs. Unshuffled, each rank's rows are literal ranges of the global batch.
    func testSlicingGivesEachRankItsChunksOfEveryGlobalBatch() throws {
        func slices(rank: Int, of ranks: Int) throws -> [Batch] {
            var settings = configuration(batch: 8, epochs: 1)
            settings.shuffle = false
            settings.slicing = BatchSlicing(chunkSize: 3, rank: rank, rankCount: ranks)
            return try drain(try BatchPipeline(dataset: CountingSource(count: 31), configuration: settings))
        }
        // 31 = 3 x 8 + 7: chunks of 3, 3, 2 in full batches and 3, 3, 1 in the last.
        let expected: [[[Int]]] = [
            [Array(0..<3), Array(8..<11), Array(16..<19), Array(24..<27)],
            [Array(3..<6), Array(11..<14), Array(19..<22), Array(27..<30)],
            [Array(6..<8), Array(14..<16), Array(22..<24), Array(30..<31)],
        ]
        for rank in 0..<3 {
            let batches = try slices(rank: rank, of: 3)
            XCTAssertEqual(batches.map(\.indices), expected[rank], "rank \(rank) of 3")
            XCTAssertEqual(batches.map(\.globalCount), [8, 8, 8, 7])
            XCTAssertEqual(batches.map(\.sliceStart), [3 * rank, 3 * rank, 3 * rank, 3 * rank])
            XCTAssertEqual(batches.map(\.indexInEpoch), [0, 1, 2, 3])
            XCTAssertEqual(batches.map(\.isLastInEpoch), [false, false, false, true])
            // Every rank holds the one-process state: 8, 16, 24, then the next epoch.
            XCTAssertEqual(batches.map(\.stateAfter.position), [8, 16, 24, 0])
            XCTAssertEqual(batches.map(\.stateAfter.epoch), [0, 0, 0, 1])
        }
        // Two ranks share three chunks as one and two: rows 0..<3 and 3..<8 (3..<7 at the end).
        XCTAssertEqual(try slices(rank: 0, of: 2).map(\.indices), [Array(0..<3), Array(8..<11), Array(16..<19), Array(24..<27)])
        XCTAssertEqual(try slices(rank: 1, of: 2).map(\.indices), [Array(3..<8), Array(11..<16), Array(19..<24), Array(27..<31)])
        // Four ranks, three chunks: the first rank gets none (chunkCount * rank / rankCount).
        XCTAssertEqual(try slices(rank: 0, of: 4).map(\.count), [0, 0, 0, 0])
        XCTAssertEqual(try slices(rank: 3, of: 4).map(\.indices), [Array(6..<8), Array(14..<16), Array(22..<24), Array(30..<31)])
    }

    /// Shuffled, with the remainder dropped and a pipeline resumed mid-epoch: the ranks' slices
    /// put together are the one-process stream, batch by batch, bit for bit, and every rank's
    /// state is that stream's.
    func testSlicesOfAllRanksMakeTheOneProcessStream() throws {
        var whole = configuration(batch: 8, threads: 2, epochs: 2)
        whole.batchRemainder = .drop
        let source = CountingSource(count: 45)
        let reference = try drain(try BatchPipeline(dataset: source, configuration: whole))
        XCTAssertEqual(reference.map(\.count), [Int](repeating: 8, count: 10))
        for ranks in [2, 3, 5] {
            var perRank: [[Batch]] = []
            for rank in 0..<ranks {
                var settings = whole
                settings.threads = 1 + rank % 2
                settings.slicing = BatchSlicing(chunkSize: 2, rank: rank, rankCount: ranks)
                let first = try BatchPipeline(dataset: source, configuration: settings)
                let head = try drain(first, limit: 3)
                perRank.append(head + (try drain(try BatchPipeline(dataset: source, configuration: settings, resumingFrom: first.state))))
            }
            for rankBatches in perRank { XCTAssertEqual(rankBatches.count, reference.count, "\(ranks) ranks") }
            for (number, batch) in reference.enumerated() {
                let slices = perRank.map { $0[number] }
                XCTAssertEqual(slices.flatMap(\.indices), batch.indices, "\(ranks) ranks, batch \(number)")
                XCTAssertEqual(slices.flatMap { $0.features.scalars.map(\.bitPattern) }, batch.features.scalars.map(\.bitPattern))
                XCTAssertEqual(slices.map(\.sliceStart), slices.indices.map { index in slices[..<index].map(\.count).reduce(0, +) })
                for slice in slices { XCTAssertEqual(slice.stateAfter, batch.stateAfter) }
            }
        }
    }
}
