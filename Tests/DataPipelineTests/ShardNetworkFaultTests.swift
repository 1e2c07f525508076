import Foundation
import ImageFormats
import Shards
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
