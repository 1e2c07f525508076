import Foundation
import ImageFormats
import Shards
import Synchronization
import SystemIO
import TestSupport
import XCTest

/// A loopback server that stalls, lies about lengths and never ends its body: every transfer
/// ends (with the short stall timeout of these tests, 1 s) in a typed error, with the number of
/// attempts the stager promises and no more bytes kept than the manifest allows.
final class ShardNetworkFaultTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var packed: String { directory.path("packed").path }
    private var manifest: ShardManifest!
    private var server: LoopbackHTTPServer!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        manifest = try ShardPacker.pack(
            images: try ImageFolder(root: Fixtures.repositoryRoot.appendingPathComponent("datasets/digits").path, options: .init(channels: .gray)),
            output: packed, limits: .init(samples: 600), shuffleSeed: 3)
        server = try LoopbackHTTPServer(directory: packed)
    }

    override func tearDown() {
        server.stop()
    }

    /// The error of staging shard 0 with `faults` injected, using two attempts per shard.
    private func stagingError(_ faults: [LoopbackHTTPServer.Fault], cache: String) throws -> DataError? {
        server.inject(faults, for: manifest.shards[0].name)
        let stager = try ShardStager(
            source: HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 1), cacheDirectory: directory.path(cache).path,
            budgetBytes: 4 * manifest.largestShardBytes, attempts: 2)
        defer { stager.stop() }
        do {
            _ = try stager.localPath(ofShard: 0)
            return nil
        } catch {
            return try XCTUnwrap(error as? DataError, "\(error)")
        }
    }

    func testAStalledTransferIsRetriedThenReportedWithTheStallTimeout() throws {
        let error = try stagingError([.stall(afterBytes: 100), .stall(afterBytes: 0)], cache: "stall")
        XCTAssertEqual(error?.kind, .unreadable)
        XCTAssertTrue(error?.reason.contains("no data received for 1 s (stall timeout)") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.reason.contains("after 2 attempts") ?? false, "\(String(describing: error))")
        XCTAssertEqual(server.requestCounts[manifest.shards[0].name], 2)
    }

    func testOneStallThenAGoodTransferStagesTheShard() throws {
        XCTAssertNil(try stagingError([.stall(afterBytes: 10)], cache: "recover"))
        XCTAssertEqual(server.requestCounts[manifest.shards[0].name], 2)
    }

    func testABodyWithoutLengthThatNeverEndsIsCutAtTheManifestsSize() throws {
        for chunked in [false, true] {
            let error = try stagingError([.endless(chunked: chunked)], cache: "endless-\(chunked)")
            XCTAssertEqual(error?.kind, .tooLarge, "\(String(describing: error))")
            XCTAssertTrue(error?.reason.contains("more than the \(manifest.shards[0].bytes) bytes") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(server.requestCounts[manifest.shards[0].name], 2, "one request each: an oversized body is not retried")
    }

    func testAContentLengthThatLiesIsCaught() throws {
        let bytes = manifest.shards[0].bytes
        // Announcing fewer bytes gives a short body: its size and CRC32 differ from the manifest's
        // (fetched once more, then reported as corrupt).
        let short = try stagingError([.wrongLength(announced: bytes / 2), .wrongLength(announced: bytes / 2)], cache: "short")
        XCTAssertEqual(short?.kind, .corrupt, "\(String(describing: short))")
        XCTAssertTrue(short?.reason.contains("differs from the manifest twice") ?? false, "\(String(describing: short))")
        // Announcing more than the manifest allows is refused at the header (not retried). (A
        // body shorter than its Content-Length is `testATruncatedBodyIsRetried`.)
        let huge = try stagingError([.wrongLength(announced: 1 << 40)], cache: "huge")
        XCTAssertEqual(huge?.kind, .tooLarge, "\(String(describing: huge))")
    }

    func testATruncatedBodyIsRetried() throws {
        XCTAssertNil(try stagingError([.dropMidBody], cache: "dropped"))
        XCTAssertEqual(server.requestCounts[manifest.shards[0].name], 2)
    }

    /// CPU seconds (user and system, all threads) this process has used.
    private func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    func testAStalledTransferBlocksInsteadOfSpinning() throws {
        // URLSession (libcurl) kept a core at about 70% through a stall: 0.7 s of CPU per second.
        // Blocked in poll(2), the process uses next to none; 0.3 s leaves room for the test
        // runner and the server's own thread. CPU time, not wall time: a loaded machine does
        // not inflate it.
        let name = manifest.shards[0].name
        server.inject([.stall(afterBytes: 100)], for: name)
        let source = HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 1)
        let before = processCPUSeconds()
        XCTAssertThrowsError(try source.fetch(name, maximumBytes: manifest.shards[0].bytes)) { error in
            XCTAssertEqual("\(error)", "\(name): no data received for 1 s (stall timeout)")
        }
        let used = processCPUSeconds() - before
        XCTAssertLessThan(used, 0.3, "a stall of 1 s used \(used) s of CPU")
    }

    func testACancelWakesAStalledTransfer() throws {
        let name = manifest.shards[0].name
        server.inject([.stall(afterBytes: 100)], for: name)
        // A stall timeout of ten minutes: only the cancel can end the transfer this test waits for.
        let source = HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 600)
        let cancellation = TransferCancellation()
        let outcome = Mutex<Result<[UInt8], any Error>?>(nil)
        let thread = Thread { outcome.withLock { $0 = Result { try source.fetch(name, maximumBytes: 1 << 20, cancellation: cancellation) } } }
        thread.start()
        XCTAssertTrue(waitUntil { self.server.requestCounts[name] == 1 })
        cancellation.cancel()
        XCTAssertTrue(waitUntil { outcome.withLock { $0 != nil } })
        XCTAssertThrowsError(try outcome.withLock { try $0?.get() }) { error in
            XCTAssertEqual("\(error)", "\(name): the transfer was cancelled (staging stopped)")
            XCTAssertEqual((error as? ShardFetchError)?.isTransient, false)
        }
        // Once cancelled, a transfer fails before connecting.
        XCTAssertThrowsError(try source.fetch(name, maximumBytes: 1 << 20, cancellation: cancellation))
        XCTAssertEqual(server.requestCounts[name], 1)
    }

    func testStoppingTheStagerEndsADownloadInProgress() throws {
        let name = manifest.shards[0].name
        server.inject([.stall(afterBytes: 100)], for: name)
        let source = ReturnRecordingSource(HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 600))
        let stager = try ShardStager(
            source: source, cacheDirectory: directory.path("stopped").path, budgetBytes: 4 * manifest.largestShardBytes, attempts: 5)
        stager.schedule([0])
        XCTAssertTrue(waitUntil { self.server.requestCounts[name] == 1 })
        stager.stop()
        // stop() waits for the fetcher; had the stall not been cut short, the fetch would still run.
        XCTAssertEqual(source.returned, ["\(name): the transfer was cancelled (staging stopped)"])
        XCTAssertEqual(server.requestCounts[name], 1, "a cancelled transfer is not retried")
    }

    func testAStalledManifestFailsTheOpening() throws {
        server.inject([.stall(afterBytes: 0), .stall(afterBytes: 0)], for: "manifest.json")
        XCTAssertThrowsError(
            try ShardStager(
                source: HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 1), cacheDirectory: directory.path("m").path,
                budgetBytes: 1 << 20, attempts: 2)
        ) { error in
            XCTAssertTrue("\(error)".contains("stall timeout"), "\(error)")
        }
    }
}

/// A source that records how each cancellable fetch ended (its error, or `ok`).
private final class ReturnRecordingSource: ShardSource, @unchecked Sendable {
    private let base: HTTPShardSource
    private let outcomes = Mutex<[String]>([])

    init(_ base: HTTPShardSource) { self.base = base }

    var location: String { base.location }
    var returned: [String] { outcomes.withLock { $0 } }

    func manifestBytes() throws -> [UInt8] { try base.manifestBytes() }

    func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8] { try base.fetch(name, maximumBytes: maximumBytes) }

    func fetch(_ name: String, maximumBytes: Int, cancellation: TransferCancellation) throws -> [UInt8] {
        do {
            let bytes = try base.fetch(name, maximumBytes: maximumBytes, cancellation: cancellation)
            outcomes.withLock { $0.append("ok") }
            return bytes
        } catch {
            outcomes.withLock { $0.append("\(error)") }
            throw error
        }
    }
}
