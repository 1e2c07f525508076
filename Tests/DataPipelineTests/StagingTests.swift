import DataPipeline
import Foundation
import ImageFormats
import Shards
import Synchronization
import SystemIO
import TestSupport
import XCTest

/// Packed shards staged from a local directory and from a loopback HTTP server that injects faults.
final class StagingTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var packed: String { directory.path("packed").path }
    private var manifest: ShardManifest!

    /// The shipped digits packed into shards of 60 samples (30 shards).
    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("datasets/digits").path
        manifest = try ShardPacker.pack(
            images: try ImageFolder(root: root, options: .init(channels: .gray)), output: packed,
            limits: .init(samples: 60), shuffleSeed: 7)
    }

    private func configuration(epochs: Int = 1) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.batchSize = 32
        configuration.windowChunks = 2
        configuration.epochs = epochs
        configuration.seed = 5
        configuration.threads = 2
        configuration.waitTimeout = 60
        return configuration
    }

    private func stream(_ stager: ShardStager, epochs: Int = 1, from state: PipelineState? = nil, limit: Int = .max) throws -> [Batch] {
        let pipeline = try BatchPipeline(chunked: ShardedDataset(stager: stager), configuration: configuration(epochs: epochs), resumingFrom: state)
        var batches: [Batch] = []
        while batches.count < limit, let batch = try pipeline.next() { batches.append(batch) }
        return batches
    }

    private func budget(shards: Int) -> Int { shards * manifest.largestShardBytes }

    func testOpeningACacheLeavesFilesThatAreNotItsOwnAlone() throws {
        // A cache directory given as a folder that holds other things (`--cache-dir .`): a file
        // with a shard's name that the cache did not write is refused, naming it, and nothing in
        // the folder changes; other files stay, whatever their names.
        let cache = directory.path("shared-folder")
        try FileManager.default.createDirectory(at: cache.appendingPathComponent("notes"), withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: cache.appendingPathComponent("notes.txt"))
        try Data("half".utf8).write(to: cache.appendingPathComponent(".tmp-\(manifest.shards[0].name)-12"))
        try Data("mine".utf8).write(to: cache.appendingPathComponent(manifest.shards[1].name))
        let before = TreeSnapshot(of: cache.path)
        XCTAssertThrowsError(
            try ShardStager(source: LocalShardSource(directory: packed), cacheDirectory: cache.path, budgetBytes: budget(shards: 8))
        ) { error in
            XCTAssertEqual((error as? DataError)?.path, cache.appendingPathComponent(manifest.shards[1].name).path, "\(error)")
        }
        XCTAssertEqual(TreeSnapshot(of: cache.path).entries.filter { $0.key != ".millrace-cache" }, before.entries)
        try FileManager.default.removeItem(at: cache.appendingPathComponent(manifest.shards[1].name))
        let stager = try ShardStager(source: LocalShardSource(directory: packed), cacheDirectory: cache.path, budgetBytes: budget(shards: 8))
        _ = try stager.localPath(ofShard: 2)
        stager.release(2)
        stager.stop()
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: cache.path))
        XCTAssertTrue(left.isSuperset(of: ["notes", "notes.txt", ".tmp-\(manifest.shards[0].name)-12", ".millrace-cache"]), "\(left)")
        XCTAssertFalse(left.contains(manifest.shards[2].name), "a consumed shard the cache wrote is deleted")
    }

    func testShardsTheCacheWroteAreKeptWhenWholeAndDeletedWhenDamaged() throws {
        let cache = directory.path("cache").path
        var stager = try ShardStager(source: LocalShardSource(directory: packed), cacheDirectory: cache, budgetBytes: budget(shards: 4))
        for shard in 0..<2 { _ = try stager.localPath(ofShard: shard) }
        stager.stop()
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: "\(cache)/\(manifest.shards[1].name)"))
        stager = try ShardStager(source: LocalShardSource(directory: packed), cacheDirectory: cache, budgetBytes: budget(shards: 4))
        defer { stager.stop() }
        XCTAssertEqual(stager.currentStatistics.residentShards, 1, "the whole shard is kept, the damaged one is not")
        let path = try stager.localPath(ofShard: 1)
        XCTAssertEqual(try FileBytes.contents(of: path).count, manifest.shards[1].bytes, "fetched again")
    }

    func testACacheDirectoryAtInsideOrAroundTheSourceIsRefused() throws {
        let link = directory.path("link-to-packed").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: packed)
        let before = TreeSnapshot(of: packed)
        for (cache, relation) in [
            (packed, "is the data source's folder"), (link, "is the data source's folder"), ("\(link)/cache/inner", "lies inside"),
            ("\(packed)/../packed/x", "lies inside"), (directory.url.path, "contains"),
        ] {
            let source = LocalShardSource(directory: packed)
            XCTAssertThrowsError(try ShardStager(source: source, cacheDirectory: cache, budgetBytes: budget(shards: 4))) {
                XCTAssertEqual(($0 as? DataError)?.kind, .invalidOption, "\(cache): \($0)")
                XCTAssertTrue("\($0)".contains(relation), "\(cache): \($0)")
            }
        }
        XCTAssertEqual(TreeSnapshot(of: packed), before, "the packed folder is untouched")
    }

    func testPackWritesShardsThatHoldEverySample() throws {
        XCTAssertEqual(manifest.shards.count, 30)
        XCTAssertEqual(manifest.totalSamples, 1797)
        XCTAssertEqual(manifest.sampleShape, [1, 8, 8])
        let bytes = try FileBytes.contents(of: "\(packed)/\(manifest.shards[3].name)")
        let (format, _, entries) = try ShardFormat.index(bytes, path: "shard")
        XCTAssertEqual(format, .png)
        XCTAssertEqual(entries.count, 60)
        // Every payload is a whole PNG file (it decodes).
        _ = try PNGDecoder().decode(Array(bytes[entries[5].0]), path: "sample", channels: .gray)
        var damaged = bytes
        damaged[30] = 0xFF  // an index offset far past the end
        XCTAssertThrowsError(try ShardFormat.index(damaged, path: "bad.mrshard")) { XCTAssertEqual(($0 as? DataError)?.kind, .corrupt) }
    }

    func testHTTPStagingGivesTheSameStreamAsTheLocalDirectoryWithinTheBudget() throws {
        let local = try ShardStager(
            source: LocalShardSource(directory: packed), cacheDirectory: directory.path("local-cache").path, budgetBytes: budget(shards: 8))
        let reference = try stream(local, epochs: 2)
        let server = try LoopbackHTTPServer(directory: packed)
        defer { server.stop() }
        let cache = directory.path("http-cache").path
        let limit = budget(shards: 6)
        let measured = MeasuringSource(base: HTTPShardSource(manifestURL: server.url("manifest.json")), cache: cache)
        let remote = try ShardStager(source: measured, cacheDirectory: cache, budgetBytes: limit)
        let staged = try stream(remote, epochs: 2)
        XCTAssertEqual(staged.map(\.indices), reference.map(\.indices))
        XCTAssertEqual(staged.map(\.features), reference.map(\.features))
        let statistics = remote.currentStatistics
        XCTAssertEqual(measured.fetches, statistics.shardsFetched)
        XCTAssertLessThanOrEqual(measured.largestBytes, limit, "the cache exceeded its budget")
        XCTAssertGreaterThanOrEqual(statistics.shardsDeleted, 50, "consumed shards are deleted")
        XCTAssertLessThanOrEqual(statistics.peakBytes, limit)
        XCTAssertEqual(server.requestCounts["manifest.json"], 1)
    }

    func testTransientFaultsAreRetriedAndACorruptShardFailsAfterOneRefetch() throws {
        let server = try LoopbackHTTPServer(directory: packed)
        defer { server.stop() }
        let names = manifest.shards.map(\.name)
        server.inject([.dropMidBody], for: names[0])
        server.inject([.status(500), .status(503)], for: names[1])
        server.inject([.corrupt], for: names[2])  // fetched again, then fine
        let local = try ShardStager(
            source: LocalShardSource(directory: packed), cacheDirectory: directory.path("a").path, budgetBytes: budget(shards: 8))
        let stager = try ShardStager(
            source: HTTPShardSource(manifestURL: server.url("manifest.json")), cacheDirectory: directory.path("b").path,
            budgetBytes: budget(shards: 8))
        XCTAssertEqual(try stream(stager).map(\.features), try stream(local).map(\.features))
        XCTAssertEqual(server.requestCounts[names[1]], 3)
        XCTAssertEqual(stager.currentStatistics.checksumRetries, 1)
        // Corrupt twice: a clear error naming the shard.
        let broken = try LoopbackHTTPServer(directory: packed)
        defer { broken.stop() }
        for name in names { broken.inject([.corrupt, .corrupt], for: name) }
        let failing = try ShardStager(
            source: HTTPShardSource(manifestURL: broken.url("manifest.json")), cacheDirectory: directory.path("c").path,
            budgetBytes: budget(shards: 8))
        XCTAssertThrowsError(try stream(failing)) { error in
            XCTAssertEqual((error as? DataError)?.kind, .corrupt)
            XCTAssertTrue((error as? DataError)?.reason.contains("CRC32") ?? false, "\(error)")
        }
    }

    func testResumeContinuesExactlyWithoutRefetchingConsumedShards() throws {
        let server = try LoopbackHTTPServer(directory: packed)
        defer { server.stop() }
        let source = HTTPShardSource(manifestURL: server.url("manifest.json"))
        let cache = directory.path("cache").path
        let full = try stream(
            try ShardStager(source: LocalShardSource(directory: packed), cacheDirectory: directory.path("ref").path, budgetBytes: budget(shards: 8)))
        var stager: ShardStager? = try ShardStager(source: source, cacheDirectory: cache, budgetBytes: budget(shards: 6))
        let head = try stream(stager!, limit: 30)
        stager?.stop()
        stager = nil
        let before = server.requestCounts
        // Shards whose every sample was consumed before the stop.
        let consumed = Set(head.flatMap(\.indices).map { $0 >> 32 }).filter { shard in
            full.prefix(30).flatMap(\.indices).filter { $0 >> 32 == shard }.count == manifest.shards[shard].samples
        }
        let resumed = try stream(try ShardStager(source: source, cacheDirectory: cache, budgetBytes: budget(shards: 6)), from: head.last!.stateAfter)
        XCTAssertEqual((head + resumed).map(\.indices), full.map(\.indices))
        for shard in consumed {
            XCTAssertEqual(
                server.requestCounts[manifest.shards[shard].name], before[manifest.shards[shard].name],
                "shard \(shard) was consumed but fetched again")
        }
        XCTAssertFalse(consumed.isEmpty)
    }

    func testBudgetsTooSmallAreRefusedWithTheMinimum() throws {
        XCTAssertThrowsError(
            try ShardStager(
                source: LocalShardSource(directory: packed), cacheDirectory: directory.path("x").path, budgetBytes: manifest.largestShardBytes)
        ) { error in
            XCTAssertTrue("\(error)".contains("at least \(2 * self.manifest.largestShardBytes) bytes"), "\(error)")
        }
        let stager = try ShardStager(
            source: LocalShardSource(directory: packed), cacheDirectory: directory.path("y").path, budgetBytes: budget(shards: 3))
        XCTAssertThrowsError(try stream(stager)) { error in XCTAssertTrue("\(error)".contains("window"), "\(error)") }
    }
}

/// A shard source that measures the cache on disk at each fetch: the files there plus the shard
/// about to be written are the most the directory holds until the next fetch (only the stager's
/// one fetching thread adds files; deletions only shrink it), so the largest figure is the
/// cache's peak, observed by events rather than by sampling on a timer.
private final class MeasuringSource: ShardSource, @unchecked Sendable {
    let base: any ShardSource
    let cache: String
    private let figures = Mutex<(fetches: Int, largest: Int)>((0, 0))

    init(base: any ShardSource, cache: String) {
        self.base = base
        self.cache = cache
    }

    /// Shard fetches so far.
    var fetches: Int { figures.withLock { $0.fetches } }
    /// The largest measured cache size, in bytes.
    var largestBytes: Int { figures.withLock { $0.largest } }

    var location: String { base.location }
    func manifestBytes() throws -> [UInt8] { try base.manifestBytes() }
    func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8] {
        let bytes = try base.fetch(name, maximumBytes: maximumBytes)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []
        let onDisk = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: "\(cache)/\($1)")[.size] as? Int) ?? 0) }
        figures.withLock {
            $0.fetches += 1
            $0.largest = max($0.largest, onDisk + bytes.count)
        }
        return bytes
    }
}
