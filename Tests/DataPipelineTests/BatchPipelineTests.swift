import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import Tensors
import TestSupport
import XCTest

final class BatchPipelineTests: XCTestCase {
    func configuration(batch: Int = 8, threads: Int = 1, prefetch: Int = 2, epochs: Int? = 2, seed: UInt64 = 7) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.batchSize = batch
        configuration.threads = threads
        configuration.prefetchDepth = prefetch
        configuration.epochs = epochs
        configuration.seed = seed
        configuration.waitTimeout = 30  // no test can hang
        return configuration
    }

    func drain(_ pipeline: BatchPipeline, limit: Int = .max) throws -> [Batch] {
        var batches: [Batch] = []
        while batches.count < limit, let batch = try pipeline.next() { batches.append(batch) }
        return batches
    }

    func assertSameStream(_ a: [Batch], _ b: [Batch], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "batch counts", file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.indices, y.indices, file: file, line: line)
            XCTAssertEqual(x.labels, y.labels, file: file, line: line)
            XCTAssertEqual(x.features.scalars.map(\.bitPattern), y.features.scalars.map(\.bitPattern), file: file, line: line)
            XCTAssertEqual(x.epoch, y.epoch, file: file, line: line)
            XCTAssertEqual(x.stateAfter, y.stateAfter, file: file, line: line)
        }
    }

    func testEachEpochIsAPermutationAndEpochsDiffer() throws {
        let source = CountingSource(count: 50)
        let batches = try drain(try BatchPipeline(dataset: source, configuration: configuration(epochs: 3)))
        XCTAssertEqual(batches.count, 3 * 7)  // 50 = 6 x 8 + 2: six full batches and a short one
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            let epochBatches = batches.filter { $0.epoch == epoch }
            XCTAssertEqual(epochBatches.map(\.indexInEpoch), Array(0..<7))
            XCTAssertEqual(epochBatches.map(\.isLastInEpoch), [false, false, false, false, false, false, true])
            let order = epochBatches.flatMap(\.indices)
            XCTAssertEqual(order.sorted(), Array(0..<50))
            orders.append(order)
            // The features are those of the listed samples.
            for batch in epochBatches {
                for (row, index) in batch.indices.enumerated() { XCTAssertEqual(batch.features[row, 0], Float(index)) }
                XCTAssertEqual(batch.labels, batch.indices.map { $0 % 4 })
            }
        }
        XCTAssertNotEqual(orders[0], orders[1])
        XCTAssertNotEqual(orders[1], orders[2])
        let again = try drain(try BatchPipeline(dataset: source, configuration: configuration(epochs: 3)))
        assertSameStream(batches, again)
    }

    func testDropRemainderGivesOnlyFullBatches() throws {
        var settings = configuration(epochs: 1)
        settings.batchRemainder = .drop
        let batches = try drain(try BatchPipeline(dataset: CountingSource(count: 50), configuration: settings))
        XCTAssertEqual(batches.map(\.count), [8, 8, 8, 8, 8, 8])
    }

    /// Dropping the remainder of 5 samples in batches of 8 would leave epochs without a step:
    /// refused, naming both numbers; batches of 5 give one full batch.
    func testDropRemainderOfASetSmallerThanABatchIsRefused() throws {
        var settings = configuration(epochs: 1)
        settings.batchRemainder = .drop
        XCTAssertThrowsError(try BatchPipeline(dataset: CountingSource(count: 5), configuration: settings)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("a batch of 8") && text.contains("the 5 samples") && text.contains("at most 5"), text)
        }
        settings.batchSize = 5
        XCTAssertEqual(try drain(try BatchPipeline(dataset: CountingSource(count: 5), configuration: settings)).map(\.count), [5])
    }

    /// Random augmentations included: the stream must not depend on threads or prefetch depth.
    func testBitIdenticalForAnyThreadCountAndPrefetchDepth() throws {
        let directory = try TemporaryDirectory()
        for label in 0..<3 {
            let folder = directory.path("\(label)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0..<12 {
                let pixels = (0..<(6 * 5 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + index * 13 + label * 29) }
                try PNGWriter.writeRGB(width: 6, height: 5, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
            }
        }
        let images = try ImageFolder(root: directory.url.path)
        let transforms: [SampleTransform] = [
            .normalize(mean: [0.5, 0.4, 0.3], standardDeviation: [0.2, 0.25, 0.3]),
            .randomHorizontalFlip(probability: 0.5), .randomCrop(padding: 2),
        ]
        let reference = try drain(
            try BatchPipeline(dataset: images, configuration: configuration(batch: 5, threads: 1, prefetch: 1), transforms: transforms))
        for threads in [2, 4, 8] {
            for prefetch in [1, 3, 8] {
                let other = try drain(
                    try BatchPipeline(
                        dataset: images, configuration: configuration(batch: 5, threads: threads, prefetch: prefetch), transforms: transforms))
                assertSameStream(reference, other)
            }
        }
        // The augmentations did something: some sample differs between epochs 0 and 1.
        let first = reference.filter { $0.epoch == 0 }
        let second = reference.filter { $0.epoch == 1 }
        func features(of index: Int, in batches: [Batch]) -> [Float] {
            for batch in batches { if let row = batch.indices.firstIndex(of: index) { return batch.features.gathering(rows: [row]).scalars } }
            return []
        }
        XCTAssertTrue((0..<36).contains { features(of: $0, in: first) != features(of: $0, in: second) })
    }

    func testFusedNormalizationEqualsConvertThenNormalize() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("a")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNGWriter.writeRGB(width: 3, height: 2, pixels: (0..<18).map { UInt8($0 * 14) }, to: folder.appendingPathComponent("x.png"))
        let images = try ImageFolder(root: directory.url.path)
        let (mean, deviation): ([Float], [Float]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        var settings = configuration(batch: 1, epochs: 1)
        settings.shuffle = false
        let batch = try XCTUnwrap(
            try BatchPipeline(dataset: images, configuration: settings, transforms: [.normalize(mean: mean, standardDeviation: deviation)]).next())
        let plain = try images.sample(at: 0).features  // CHW in [0, 1]
        let expected = (0..<plain.count).map { index -> Float in
            let channel = index / 6
            return (plain[flat: index] - mean[channel]) * (1 / deviation[channel])
        }
        XCTAssertEqual(batch.features.scalars, expected)
        XCTAssertEqual(batch.features.shape, [1, 3, 2, 3])
    }

    func testResumeAtAnyPositionContinuesTheSameStream() throws {
        let source = CountingSource(count: 37)
        let full = try drain(try BatchPipeline(dataset: source, configuration: configuration(batch: 4, threads: 2, epochs: 3)))
        // Mid-epoch, at an epoch boundary, at the very start and in the last batch.
        let boundary = full.firstIndex { $0.isLastInEpoch }!
        for cut in [0, 3, boundary, boundary + 1, 15, full.count - 2] {
            let resumed = try drain(
                try BatchPipeline(
                    dataset: source, configuration: configuration(batch: 4, threads: 1, prefetch: 5, epochs: 3),
                    resumingFrom: full[cut].stateAfter))
            assertSameStream(Array(full[(cut + 1)...]), resumed)
        }
        // Twice in one epoch, with different thread counts and prefetch depths each time.
        let first = try BatchPipeline(dataset: source, configuration: configuration(batch: 4, threads: 3, epochs: 3))
        let head = try drain(first, limit: 2)
        let second = try BatchPipeline(
            dataset: source, configuration: configuration(batch: 4, threads: 1, prefetch: 1, epochs: 3), resumingFrom: first.state)
        let middle = try drain(second, limit: 3)
        let third = try BatchPipeline(
            dataset: source, configuration: configuration(batch: 4, threads: 4, prefetch: 7, epochs: 3), resumingFrom: second.state)
        assertSameStream(full, head + middle + (try drain(third)))
    }

    func testStateIsSmallAndCodable() throws {
        let pipeline = try BatchPipeline(dataset: CountingSource(count: 1_000_000, width: 1), configuration: configuration(batch: 64, prefetch: 16))
        _ = try pipeline.next()
        let encoded = try JSONEncoder().encode(pipeline.state)
        XCTAssertLessThan(encoded.count, 1024)
        XCTAssertEqual(try JSONDecoder().decode(PipelineState.self, from: encoded), pipeline.state)
    }

    /// A state as earlier versions saved it in checkpoints, with the fields of the sharding
    /// mechanism that `slicing` replaced: it still decodes and resumes the stream.
    func testStateSavedByEarlierVersionsStillResumes() throws {
        let saved = #"{"version":1,"seed":7,"epoch":1,"position":16,"datasetCount":50,"batchSize":8,"rank":0,"worldSize":1}"#
        let state = try JSONDecoder().decode(PipelineState.self, from: Data(saved.utf8))
        XCTAssertEqual(state, PipelineState(seed: 7, epoch: 1, position: 16, datasetCount: 50, batchSize: 8))
        let full = try drain(try BatchPipeline(dataset: CountingSource(count: 50), configuration: configuration()))
        let cut = try XCTUnwrap(full.firstIndex { $0.epoch == 1 && $0.indexInEpoch == 1 })
        let resumed = try drain(try BatchPipeline(dataset: CountingSource(count: 50), configuration: configuration(), resumingFrom: state))
        assertSameStream(Array(full[(cut + 1)...]), resumed)
    }

    func testSkippedSamplesAreNeverDecoded() throws {
        let source = CountingSource(count: 200)
        let full = try drain(try BatchPipeline(dataset: source, configuration: configuration(batch: 10, epochs: 1)))
        source.resetLoads()
        let resumed = try BatchPipeline(
            dataset: source, configuration: configuration(batch: 10, prefetch: 1, epochs: 1), resumingFrom: full[11].stateAfter)
        _ = try drain(resumed, limit: 2)
        let skipped = Set(full[0...11].flatMap(\.indices))
        XCTAssertTrue(Set(source.loadedIndices).isDisjoint(with: skipped), "a skipped sample was decoded")
        XCTAssertLessThanOrEqual(source.loadedIndices.count, 10 * (2 + 1 + 1))  // consumed + prefetched + in progress
    }

    /// Batches alive once every producer thread of earlier tests has stopped (`Batch.liveCount`
    /// counts the whole process).
    private func settledLiveBatches() -> Int {
        XCTAssertTrue(waitUntil { BatchPipeline.runningProducers == 0 }, "a producer thread never stopped")
        return Batch.liveCount
    }

    func testPrefetchHoldsAtMostDepthBatches() throws {
        let depth = 3
        let baseline = settledLiveBatches()
        let source = CountingSource(count: 400)
        var pipeline: BatchPipeline? = try BatchPipeline(dataset: source, configuration: configuration(batch: 4, prefetch: depth, epochs: 1))
        // Before the consumer takes the first batch the producer fills the buffer, makes one more
        // batch, and blocks putting it: exactly depth + 1 batches and their samples, no more.
        XCTAssertTrue(waitUntil { pipeline!.statistics.batchesProduced >= depth + 1 })
        XCTAssertEqual(pipeline!.statistics.batchesProduced, depth + 1)
        XCTAssertEqual(source.loadedIndices.count, (depth + 1) * 4)
        XCTAssertEqual(Batch.liveCount - baseline, depth + 1)
        var largest = 0
        var consumed = 0
        while let batch = try pipeline!.next() {
            consumed += 1
            largest = max(largest, Batch.liveCount - baseline)
            // Produced = consumed + the buffer + the one waiting to be put, at most.
            XCTAssertLessThanOrEqual(pipeline!.statistics.batchesProduced, consumed + depth + 1)
            XCTAssertLessThanOrEqual(source.loadedIndices.count, (consumed + depth + 2) * 4)
            _ = batch
        }
        XCTAssertEqual(consumed, 100)
        XCTAssertLessThanOrEqual(largest, depth + 2)  // plus the one the consumer holds
        XCTAssertEqual(pipeline!.statistics.largestDepth, depth, "the buffer's largest depth")
        // Drained and released: no batch outlives its pipeline.
        pipeline = nil
        XCTAssertEqual(settledLiveBatches(), baseline)
    }

    func testErrorSurfacesAtTheBatchThatHoldsTheBadSample() throws {
        var settings = configuration(batch: 5, epochs: 1)
        settings.shuffle = false
        let pipeline = try BatchPipeline(dataset: CountingSource(count: 30, failing: [17]), configuration: settings)
        let delivered = try drain(pipeline, limit: 3)
        XCTAssertEqual(delivered.map { $0.indices.first }, [0, 5, 10])
        XCTAssertThrowsError(try pipeline.next()) { error in
            XCTAssertEqual((error as? DataError)?.line, 17)
        }
        XCTAssertNil(try pipeline.next())
    }

    func testSkipPolicyShortensTheBatchAndQuarantinesOnce() throws {
        var settings = configuration(batch: 5, epochs: 2)
        settings.shuffle = false
        settings.badInput = .skip(maximumFraction: 0.1)
        let pipeline = try BatchPipeline(dataset: CountingSource(count: 30, failing: [17, 3]), configuration: settings)
        let batches = try drain(pipeline)
        XCTAssertEqual(batches.map(\.count), [4, 5, 5, 4, 5, 5, 4, 5, 5, 4, 5, 5])
        XCTAssertFalse(batches.contains { $0.indices.contains(17) || $0.indices.contains(3) })
        XCTAssertEqual(pipeline.quarantine.entries.map(\.origin), ["counting:3", "counting:17"])
        var strict = settings
        strict.badInput = .skip(maximumFraction: 0.05)
        XCTAssertThrowsError(try drain(try BatchPipeline(dataset: CountingSource(count: 30, failing: [1, 2]), configuration: strict))) {
            XCTAssertEqual(($0 as? DataError)?.kind, .tooManyBadSamples)
        }
    }

    func testDeinitStopsTheProducerThread() throws {
        let baseline = settledLiveBatches()
        do {
            let pipeline = try BatchPipeline(dataset: CountingSource(count: 10_000), configuration: configuration(batch: 4, epochs: nil))
            _ = try pipeline.next()
            XCTAssertEqual(BatchPipeline.runningProducers, 1)
        }
        // The pipeline is released mid-stream, its buffer full: its producer stops and frees them.
        XCTAssertTrue(waitUntil { BatchPipeline.runningProducers == 0 }, "the producer thread outlived its pipeline")
        XCTAssertEqual(Batch.liveCount, baseline, "no batch outlives its pipeline")
    }

    func testRecycledStorageNeverChangesABatchStillHeld() throws {
        let pipeline = try BatchPipeline(dataset: CountingSource(count: 64), configuration: configuration(batch: 8, prefetch: 1, epochs: 3))
        let kept = try XCTUnwrap(try pipeline.next())
        let snapshot = kept.features.scalars
        pipeline.recycle(kept)  // the caller still holds `kept`: copy-on-write must protect it
        while let batch = try pipeline.next() { pipeline.recycle(batch) }
        XCTAssertEqual(kept.features.scalars, snapshot)
    }

    func testResumingWithAnotherDatasetIsRefused() throws {
        let state = PipelineState(seed: 1, datasetCount: 99, batchSize: 4)
        XCTAssertThrowsError(try BatchPipeline(dataset: CountingSource(count: 10), configuration: configuration(), resumingFrom: state)) {
            XCTAssertTrue($0 is PipelineError)
        }
    }
}
