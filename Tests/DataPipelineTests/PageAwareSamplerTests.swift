import DataPipeline
import Foundation
import ImageFormats
import Shards
import SystemIO
import TestSupport
import XCTest

/// The page-aware order (FFCV's quasi-random order) and the resumption of every order of a
/// decoded pack.
final class PageAwareSamplerTests: XCTestCase {
    /// Runs of 50, 30 and 7 samples of 1000 bytes; 2 pages (8192 bytes) hold 8 whole samples.
    private let layout = StorageLayout(sampleBytes: 1000, runs: [50, 30, 7])

    /// The window of each index, worked out from the layout: runs cut into windows of 8.
    private func windowOf(_ index: Int) -> Int {
        var start = 0
        var windowsBefore = 0
        for run in layout.runs {
            if index < start + run { return windowsBefore + (index - start) / 8 }
            windowsBefore += (run + 7) / 8
            start += run
        }
        return -1
    }

    func testEachEpochReadsEverySampleOnceWindowByWindow() {
        let sampler = PageAwareSampler(layout: layout, windowPages: 2, seed: 11)
        XCTAssertEqual(sampler.windowSamples, 8)
        XCTAssertEqual(sampler.windowCount, 7 + 4 + 1)
        XCTAssertEqual(sampler.count, 87)
        var windowOrders: [[Int]] = []
        var shuffledWithin = false
        for epoch in 0..<3 {
            let order = sampler.indices(at: Array(0..<87), epoch: epoch)
            XCTAssertEqual(order.sorted(), Array(0..<87), "epoch \(epoch) is a permutation")
            // Each window's samples are read together: the window changes 11 times in 87 positions.
            var windows: [Int] = []
            for index in order where windows.last != windowOf(index) { windows.append(windowOf(index)) }
            XCTAssertEqual(windows.sorted(), Array(0..<12), "epoch \(epoch): each window read in one stretch")
            windowOrders.append(windows)
            for window in 0..<12 {
                let members = order.filter { windowOf($0) == window }
                if members != members.sorted() { shuffledWithin = true }
            }
        }
        XCTAssertNotEqual(windowOrders[0], windowOrders[1], "the windows' order changes with the epoch")
        XCTAssertNotEqual(windowOrders[0], Array(0..<12))
        XCTAssertTrue(shuffledWithin, "samples are shuffled inside their windows")
        XCTAssertNotEqual(
            PageAwareSampler(layout: layout, windowPages: 2, seed: 12).indices(at: Array(0..<87), epoch: 0),
            sampler.indices(at: Array(0..<87), epoch: 0), "another seed, another order")
    }

    /// A pure function of (seed, epoch, position): a fresh sampler asked one position at a time,
    /// in any order of epochs and positions, answers as one asked for whole epochs.
    func testAnyPositionResolvesAloneInAnyOrder() {
        let whole = PageAwareSampler(layout: layout, windowPages: 2, seed: 3)
        let expected = (0..<3).map { whole.indices(at: Array(0..<87), epoch: $0) }
        let fresh = PageAwareSampler(layout: layout, windowPages: 2, seed: 3)
        for position in (0..<87).reversed() {
            for epoch in [2, 0, 1] { XCTAssertEqual(fresh.index(at: position, epoch: epoch), expected[epoch][position]) }
        }
    }

    func testWindowsCoverWholeRunsWhenPagesHoldLessThanASampleOrMoreThanTheData() {
        // A page holds no whole 5000-byte sample: windows of 1 (the windows' order is the order).
        let small = PageAwareSampler(layout: StorageLayout(sampleBytes: 5000, runs: [10]), windowPages: 1, seed: 1)
        XCTAssertEqual(small.windowSamples, 1)
        XCTAssertEqual(small.indices(at: Array(0..<10), epoch: 0).sorted(), Array(0..<10))
        // A window larger than every run: one window per run, never across runs.
        let large = PageAwareSampler(layout: StorageLayout(sampleBytes: 1, runs: [4, 6]), windowPages: .max, seed: 1)
        XCTAssertEqual(large.windowCount, 2)
        let order = large.indices(at: Array(0..<10), epoch: 0)
        XCTAssertTrue(Set(order.prefix(4)) == Set(0..<4) || Set(order.prefix(6)) == Set(4..<10), "\(order)")
    }

    /// A decoded pack read in each order, on 1 and 3 threads, from the start or resumed at any
    /// batch: the same batches, bit for bit; and a data-parallel rank's slices put together are
    /// the one-process batches.
    func testEveryOrderOfADecodedPackResumesExactly() throws {
        let directory = try TemporaryDirectory()
        let root = Fixtures.repositoryRoot.appendingPathComponent("datasets/digits").path
        let packed = directory.path("packed").path
        _ = try ShardPacker.pack(
            images: try ImageFolder(root: root, options: .init(channels: .gray)), output: packed, limits: .init(samples: 300), storage: .uint8)
        let pack = try MappedPack(directory: packed, normalization: Normalization(mean: [0.5], standardDeviation: [0.25]))
        func drain(_ pipeline: BatchPipeline, limit: Int = .max) throws -> [Batch] {
            var batches: [Batch] = []
            while batches.count < limit, let batch = try pipeline.next() { batches.append(batch) }
            return batches
        }
        for order in [SampleOrder.shuffle, .pageAware(windowPages: 1), .pageAware(windowPages: 3)] {
            var configuration = PipelineConfiguration()
            configuration.batchSize = 50
            configuration.epochs = 2
            configuration.seed = 9
            configuration.order = order
            configuration.waitTimeout = 60
            let full = try drain(try BatchPipeline(dataset: pack, configuration: configuration))
            XCTAssertEqual(full.count, 2 * 36)
            XCTAssertEqual(full.prefix(36).flatMap(\.indices).sorted(), Array(0..<1797), "\(order)")
            if case .pageAware(let pages) = order {
                // Windows of 64 samples (pages x 4096 / 64 bytes): a batch spans at most two windows
                // of a shard, or three where a shard ends.
                for batch in full {
                    let windows = Set(batch.indices.map { $0 / 300 * 1000 + ($0 % 300) / (pages * 64) })
                    XCTAssertLessThanOrEqual(windows.count, 3, "\(order): \(batch.indices)")
                }
            }
            configuration.threads = 3
            for cut in [0, 17, 35, 50] {
                let resumed = try drain(try BatchPipeline(dataset: pack, configuration: configuration, resumingFrom: full[cut].stateAfter))
                XCTAssertEqual(resumed.map(\.indices), full[(cut + 1)...].map(\.indices), "\(order) after batch \(cut)")
                XCTAssertEqual(resumed.map(\.features), full[(cut + 1)...].map(\.features), "\(order) after batch \(cut)")
            }
            configuration.threads = 1
            var ranks: [[Batch]] = []
            for rank in 0..<2 {
                var sliced = configuration
                sliced.slicing = BatchSlicing(chunkSize: 8, rank: rank, rankCount: 2)
                ranks.append(try drain(try BatchPipeline(dataset: pack, configuration: sliced), limit: 10))
            }
            for batch in 0..<10 {
                XCTAssertEqual(ranks[0][batch].indices + ranks[1][batch].indices, full[batch].indices, "\(order) batch \(batch)")
            }
        }
    }

    /// The page-aware order needs samples stored in pages: an image folder is refused by name.
    func testThePageAwareOrderOfDataWithoutPagesIsRefused() throws {
        let root = Fixtures.repositoryRoot.appendingPathComponent("datasets/digits").path
        var configuration = PipelineConfiguration()
        configuration.order = .pageAware(windowPages: 4)
        XCTAssertThrowsError(try BatchPipeline(dataset: try ImageFolder(root: root, options: .init(channels: .gray)), configuration: configuration)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .invalidOption)
            XCTAssertTrue("\($0)".contains("order page_aware needs a decoded pack"), "\($0)")
        }
        configuration.shuffle = false
        XCTAssertNoThrow(try BatchPipeline(dataset: try ImageFolder(root: root, options: .init(channels: .gray)), configuration: configuration))
    }
}
