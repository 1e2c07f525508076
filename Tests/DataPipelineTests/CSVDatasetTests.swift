import CZlib
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TabularFormats
import TestSupport
import XCTest

final class CSVDatasetTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func makeText() -> String {
        var text = "id,note,x,label\n"
        for row in 0..<300 {
            let note = row % 5 == 0 ? "\"a\nb,\"\"c\"\"\"" : "n"
            text += "\(row),\(note),\(Double(row) / 8),\(["cat", "dog", "emu"][row * 7 % 3])\n"
        }
        return text
    }

    private var options: CSVOptions {
        var options = CSVOptions()
        options.ignoredColumns = [.name("note")]
        options.labelMapping = .firstAppearance
        options.chunkBytes = 200
        options.threads = 2
        return options
    }

    func testEveryChunkReadAloneEqualsTheStream() throws {
        let path = directory.path("d.csv").path
        try Data(makeText().utf8).write(to: URL(fileURLWithPath: path))
        let reader = try CSVReader(path: path, options: options)
        var streamed: [CSVChunk] = []
        while let chunk = try reader.next() { streamed.append(chunk) }
        let dataset = try CSVDataset(path: path, options: options)
        XCTAssertEqual(dataset.chunkCount, streamed.count)
        XCTAssertGreaterThan(dataset.chunkCount, 20)
        XCTAssertEqual(dataset.count, 300)
        XCTAssertEqual(dataset.classNames, ["cat", "dog", "emu"])  // rows 0, 1, 2: 0·7 % 3 = 0, 7 % 3 = 1, 14 % 3 = 2
        for index in (0..<dataset.chunkCount).reversed() {  // any order: no chunk depends on the ones before
            XCTAssertEqual(try dataset.csvChunk(at: index), streamed[index])
            XCTAssertEqual(dataset.sampleCount(ofChunk: index), streamed[index].count)
        }
        let chunk = try dataset.loadChunk(at: 3)
        XCTAssertEqual(chunk.sample(at: 0).origin, .line(path: path, line: streamed[3].firstLine))
        XCTAssertEqual(chunk.features, streamed[3].features)
    }

    func testGzipChunksAreReachableToo() throws {
        let text = makeText()
        let plain = directory.path("d.csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: plain))
        let compressed = directory.path("d.csv.gz").path
        let handle = try XCTUnwrap(gzopen(compressed, "wb"))
        _ = text.withCString { gzwrite(handle, $0, UInt32(text.utf8.count)) }
        gzclose(handle)
        let a = try CSVDataset(path: plain, options: options)
        let b = try CSVDataset(path: compressed, options: options)
        XCTAssertTrue(b.isCompressed)
        XCTAssertEqual(a.chunks, b.chunks)
        for index in [0, 7, b.chunkCount - 1, 3, 2] {  // forward (one pass), then back (the stream restarts)
            XCTAssertEqual(try b.csvChunk(at: index).features, try a.csvChunk(at: index).features)
        }
    }

    func testKeepingRowsScansPastTheOthersAndGivesTheSameRows() throws {
        let path = directory.path("d.csv").path
        try Data(makeText().utf8).write(to: URL(fileURLWithPath: path))
        let dataset = try CSVDataset(path: path, options: options)
        XCTAssertTrue(dataset.quarantined.isEmpty)
        let split = RowSplit(fraction: 0.3, seed: 11)
        var held = 0
        var kept = 0
        var first = 0
        for index in 0..<dataset.chunkCount {
            let whole = try dataset.loadChunk(at: index)
            for side in [true, false] {
                let start = first
                let keep: @Sendable (Int) -> Bool = { split.isHeldOut(row: start + $0) == side }
                let fast = try dataset.loadChunk(at: index, keepingRows: keep)
                // The rows a full parse gives, selected afterwards (quoted fields with line ends included).
                XCTAssertEqual(fast, whole.selecting(rows: (0..<whole.count).filter(keep)), "chunk \(index)")
                if side { held += fast.count } else { kept += fast.count }
            }
            first += whole.count
        }
        XCTAssertEqual(held + kept, 300)
        let validation = ChunkedRowSplit(base: dataset, split: split, heldOut: true)
        let training = ChunkedRowSplit(base: dataset, split: split, heldOut: false)
        XCTAssertEqual(validation.count, held)
        XCTAssertEqual(training.count, kept)
        XCTAssertEqual(held, (0..<300).filter { split.isHeldOut(row: $0) }.count)
    }

    func testGzipStreamsIntoAPipelineInFileOrderOfChunks() throws {
        let text = makeText()
        let compressed = directory.path("d.csv.gz").path
        let handle = try XCTUnwrap(gzopen(compressed, "wb"))
        _ = text.withCString { gzwrite(handle, $0, UInt32(text.utf8.count)) }
        gzclose(handle)
        let dataset = try CSVDataset(path: compressed, options: options)
        XCTAssertTrue(dataset.prefersSequentialChunks)
        var configuration = PipelineConfiguration()
        configuration.batchSize = 30
        configuration.epochs = 2
        configuration.windowChunks = 3
        configuration.seed = 4
        configuration.threads = 2
        let pipeline = try BatchPipeline(chunked: dataset, configuration: configuration)
        var epochs: [[Int]] = [[], []]
        while let batch = try pipeline.next() { epochs[batch.epoch] += batch.indices }
        for keys in epochs {
            // Every row once per epoch; ids (the first feature) read back from the keys' chunks.
            XCTAssertEqual(keys.count, 300)
            XCTAssertEqual(Set(keys).count, 300)
            // Windows follow the file: chunk numbers never go back by a whole window.
            let chunks = keys.map { $0 >> 32 }
            let windows = chunks.map { $0 / 3 }
            XCTAssertEqual(windows, windows.sorted(), "windows of a gzip stream come in file order")
        }
        XCTAssertNotEqual(epochs[0], epochs[1], "rows are still shuffled within windows, differently per epoch")
    }

    func testDatasetSkipHelperRecordsBadImagesByPath() throws {
        let folder = directory.path("images/a")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<10 {
            try PNGWriter.writeGray(width: 2, height: 2, pixels: [1, 2, 3, 4], to: folder.appendingPathComponent("\(index).png"))
        }
        try Data("broken".utf8).write(to: folder.appendingPathComponent("5.png"))
        let images = try ImageFolder(root: directory.path("images").path, options: .init(channels: .gray))
        let quarantine = Quarantine(policy: .skip(maximumFraction: 0.2), expectedTotal: images.count)
        let kept = try (0..<images.count).compactMap { try images.sample(at: $0, quarantine: quarantine) }
        XCTAssertEqual(kept.count, 9)
        XCTAssertEqual(quarantine.entries.map(\.origin), [images.paths[5]])
        let strict = Quarantine(policy: .fail)
        XCTAssertThrowsError(try (0..<images.count).forEach { _ = try images.sample(at: $0, quarantine: strict) }) {
            XCTAssertEqual(($0 as? DataError)?.kind, .notImage)  // neither PNG nor JPEG by its first bytes
        }
        let tight = Quarantine(policy: .skip(maximumFraction: 0.05), expectedTotal: images.count)
        XCTAssertThrowsError(try (0..<images.count).forEach { _ = try images.sample(at: $0, quarantine: tight) }) {
            XCTAssertEqual(($0 as? DataError)?.kind, .tooManyBadSamples)
        }
    }
}
