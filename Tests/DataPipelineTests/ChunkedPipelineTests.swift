import DataPipeline
import Foundation
import TabularFormats
import TestSupport
import XCTest

final class ChunkedPipelineTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// 600 rows sorted by class (0..5, 100 each): the hard case for windowed shuffling.
    private func sortedCSV() throws -> CSVDataset {
        var text = "id,x,label\n"
        for row in 0..<600 { text += "\(row),\(Double(row) / 3),\(row / 100)\n" }
        let path = directory.path("sorted.csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        var options = CSVOptions()
        options.chunkBytes = 300  // about 25 rows a chunk
        return try CSVDataset(path: path, options: options)
    }

    private func configuration(window: Int, batch: Int = 16, threads: Int = 1, epochs: Int = 2) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.batchSize = batch
        configuration.windowChunks = window
        configuration.threads = threads
        configuration.epochs = epochs
        configuration.seed = 11
        configuration.waitTimeout = 30
        return configuration
    }

    private func drain(_ pipeline: BatchPipeline, limit: Int = .max) throws -> [Batch] {
        var batches: [Batch] = []
        while batches.count < limit, let batch = try pipeline.next() { batches.append(batch) }
        return batches
    }

    func testEpochsArePermutationsOfAllRowsAndWindowsStayLocal() throws {
        let dataset = try sortedCSV()
        XCTAssertGreaterThan(dataset.chunkCount, 20)
        let batches = try drain(try BatchPipeline(chunked: dataset, configuration: configuration(window: 3)))
        for epoch in 0..<2 {
            let ids = batches.filter { $0.epoch == epoch }.flatMap { batch in (0..<batch.count).map { Int(batch.features[$0, 0]) } }
            XCTAssertEqual(ids.sorted(), Array(0..<600))
            // A window holds 3 chunks: any 16 consecutive rows come from at most 6 chunks (two windows).
            let chunksPerBatch = batches.filter { $0.epoch == epoch }.map { Set($0.indices.map { $0 >> 32 }).count }
            XCTAssertLessThanOrEqual(chunksPerBatch.max() ?? 0, 6)
        }
        let epochs = (0..<2).map { epoch in batches.filter { $0.epoch == epoch }.flatMap(\.indices) }
        XCTAssertNotEqual(epochs[0], epochs[1])
    }

    func testResumeAndThreadCountsGiveTheSameStream() throws {
        let dataset = try sortedCSV()
        let full = try drain(try BatchPipeline(chunked: dataset, configuration: configuration(window: 4)))
        for cut in [0, 9, 37, full.count - 2] {
            let resumed = try drain(
                try BatchPipeline(chunked: dataset, configuration: configuration(window: 4, threads: 3), resumingFrom: full[cut].stateAfter))
            XCTAssertEqual(resumed.map(\.indices), full[(cut + 1)...].map(\.indices))
            XCTAssertEqual(resumed.map(\.features), full[(cut + 1)...].map(\.features))
        }
    }

    func testGuardrailWarnsWhenASortedStreamIsBarelyShuffled() throws {
        let dataset = try sortedCSV()
        let narrow = try BatchPipeline(chunked: dataset, configuration: configuration(window: 1))
        _ = try drain(narrow, limit: 10)
        XCTAssertEqual(narrow.warnings.count, 1)
        XCTAssertTrue(narrow.warnings.first?.contains("windowChunks") ?? false, "\(narrow.warnings)")
        let wide = try BatchPipeline(chunked: dataset, configuration: configuration(window: 100))
        _ = try drain(wide, limit: 10)
        XCTAssertEqual(wide.warnings, [])
    }
}
