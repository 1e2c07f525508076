import CZlib
import Foundation
import TestSupport
import XCTest

@testable import DataPipeline
@testable import Shards
@testable import SystemIO

/// Manifests and servers that try to escape the cache directory or flood it.
final class ShardHostileInputTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var packed: URL { directory.path("packed") }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: packed, withIntermediateDirectories: true)
    }

    /// One float32 shard of 4 samples (2 features), and its manifest entry under `name`.
    private func writeShard(named name: String = "part-0.mrshard", labels: [Int] = [0, 1, 0, 1]) throws -> ShardManifest.Shard {
        let payloads = (0..<4).map { sample in (0..<2).flatMap { withUnsafeBytes(of: Float(sample * 2 + $0).bitPattern.littleEndian, Array.init) } }
        let bytes = ShardFormat.encode(payloads: payloads, labels: labels, format: .float32, featureCount: 2)
        try Data(bytes).write(to: packed.appendingPathComponent(name))
        let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return ShardManifest.Shard(name: name, samples: 4, bytes: bytes.count, crc32: crc)
    }

    private func writeManifest(_ shards: [ShardManifest.Shard]) throws {
        let manifest = ShardManifest(sampleFormat: .float32, sampleShape: [2], channels: nil, classNames: ["a", "b"], shards: shards)
        try Data(manifest.encoded()).write(to: packed.appendingPathComponent("manifest.json"))
    }

    func testShardNamesMustBePlainFileNames() throws {
        let good = try writeShard()
        let cache = directory.path("cache")
        for hostile in ["../escaped.mrshard", "/etc/passwd", "sub/part.mrshard", "", "part\u{0}.mrshard", "..", ".", ".tmp-part-0.mrshard"] {
            var entry = good
            entry.name = hostile
            try writeManifest([good, entry])
            XCTAssertThrowsError(try ShardStager(source: LocalShardSource(directory: packed.path), cacheDirectory: cache.path, budgetBytes: 1 << 20))
            { error in
                let dataError = error as? DataError
                XCTAssertEqual(dataError?.kind, .corrupt, "\(error)")
                XCTAssertEqual(dataError?.path, "\(self.packed.path)/manifest.json")
                XCTAssertTrue(dataError?.reason.contains("shard entry 1 (name \(String(reflecting: hostile)))") ?? false, "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: cache.path), "refused before the cache directory is made")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("escaped.mrshard").path))
        try writeManifest([good, good])
        XCTAssertThrowsError(try ShardStager(source: LocalShardSource(directory: packed.path), cacheDirectory: cache.path, budgetBytes: 1 << 20)) {
            XCTAssertTrue("\($0)".contains("appears twice"), "\($0)")
        }
    }

    func testHostileNameFromAnHTTPManifestIsRefused() throws {
        var entry = try writeShard()
        entry.name = "../../outside.mrshard"
        try writeManifest([entry])
        let server = try LoopbackHTTPServer(directory: packed.path)
        defer { server.stop() }
        XCTAssertThrowsError(
            try ShardStager(
                source: HTTPShardSource(manifestURL: server.url("manifest.json")), cacheDirectory: directory.path("cache").path, budgetBytes: 1 << 20)
        ) { error in
            XCTAssertTrue((error as? DataError)?.path.hasPrefix("http://127.0.0.1:\(server.port)/") ?? false, "\(error)")
            XCTAssertTrue((error as? DataError)?.path.hasSuffix("/manifest.json") ?? false, "\(error)")
            XCTAssertTrue((error as? DataError)?.reason.contains("'/'") ?? false, "\(error)")
        }
        XCTAssertEqual(server.requestCounts.keys.sorted(), ["manifest.json"])
    }

    func testOversizedManifestIsRefusedBeforeParsing() throws {
        // A sparse file one byte over the limit: refused from its size, without reading it.
        let path = packed.appendingPathComponent("manifest.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(ShardManifest.maximumBytes + 1))
        try handle.close()
        XCTAssertThrowsError(
            try ShardStager(source: LocalShardSource(directory: packed.path), cacheDirectory: directory.path("cache").path, budgetBytes: 1 << 20)
        ) {
            XCTAssertEqual(($0 as? DataError)?.kind, .tooLarge, "\($0)")
        }
        XCTAssertThrowsError(try ShardManifest.decode([UInt8](repeating: 0x20, count: ShardManifest.maximumBytes + 1), path: "m.json")) {
            XCTAssertEqual(($0 as? DataError)?.kind, .tooLarge, "\($0)")
        }
    }

    func testHTTPBodyLongerThanTheManifestSaysIsCutOff() throws {
        let shard = try writeShard()
        try writeManifest([shard])
        let extra = 8 << 20
        for announced in [true, false] {
            let server = try LoopbackHTTPServer(directory: packed.path)
            defer { server.stop() }
            server.inject([.oversized(extraBytes: extra, announced: announced)], for: shard.name)
            let stager = try ShardStager(
                source: HTTPShardSource(manifestURL: server.url("manifest.json")), cacheDirectory: directory.path("cache-\(announced)").path,
                budgetBytes: 1 << 20)
            defer { stager.stop() }
            XCTAssertThrowsError(try stager.localPath(ofShard: 0)) { error in
                XCTAssertEqual((error as? DataError)?.kind, .tooLarge, "\(error)")
                XCTAssertTrue("\(error)".contains("more than the \(shard.bytes) bytes"), "\(error)")
            }
            XCTAssertEqual(server.requestCounts[shard.name], 1, "not retried")
            // (Whether the connection closes at once is up to FoundationNetworking: its cancel
            // sometimes lets libcurl drain the rest; the client keeps none of it.)
            let cached = try FileManager.default.contentsOfDirectory(atPath: directory.path("cache-\(announced)").path)
            XCTAssertEqual(cached, [], "nothing written to the cache")
        }
    }

    /// A hand-made shard whose label lies outside the manifest's two classes is refused when it is
    /// read, naming the shard, the byte offset of the label's index entry (header 24 bytes, 16 per
    /// entry, label at +12) and the classes.
    func testShardLabelsOutsideTheManifestsClassesAreRefused() throws {
        for (labels, bad) in [([0, 1, 2, 1], 2), ([0, -1, 0, 1], 1), ([0, 1, 0, Int(Int32.max)], 3)] {
            let shard = try writeShard(labels: labels)
            try writeManifest([shard])
            let cache = directory.path("cache-\(bad)-\(labels[bad])").path
            let stager = try ShardStager(source: LocalShardSource(directory: packed.path), cacheDirectory: cache, budgetBytes: 1 << 20)
            defer { stager.stop() }
            XCTAssertThrowsError(try ShardedDataset(stager: stager).loadChunk(at: 0)) { error in
                let dataError = error as? DataError
                XCTAssertEqual(dataError?.kind, .corrupt, "\(error)")
                XCTAssertEqual(dataError?.path, "\(cache)/part-0.mrshard")
                XCTAssertEqual(dataError?.byteOffset, 24 + 16 * bad + 12)
                XCTAssertTrue(
                    dataError?.reason.contains("sample \(bad) has label \(labels[bad]), outside the manifest's 2 classes (0 to 1)") ?? false,
                    "\(error)")
            }
        }
        // The same bytes index without a class count (what the format alone checks), and a good shard reads.
        let bytes = ShardFormat.encode(payloads: [[0, 0, 0, 0]], labels: [5], format: .float32, featureCount: 1)
        XCTAssertEqual(try ShardFormat.index(bytes, path: "x").entries.map(\.1), [5])
        XCTAssertThrowsError(try ShardFormat.index(bytes, path: "x", classCount: 5))
        XCTAssertThrowsError(try ShardFormat.index(bytes, path: "x", classCount: 0))
        XCTAssertEqual(try ShardFormat.index(bytes, path: "x", classCount: 6).entries.map(\.1), [5])
        try writeManifest([try writeShard()])
        let stager = try ShardStager(
            source: LocalShardSource(directory: packed.path), cacheDirectory: directory.path("cache-good").path, budgetBytes: 1 << 20)
        defer { stager.stop() }
        XCTAssertEqual(try ShardedDataset(stager: stager).loadChunk(at: 0).labels, [0, 1, 0, 1])
    }
}
