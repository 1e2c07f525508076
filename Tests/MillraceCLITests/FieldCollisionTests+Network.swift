import Foundation
import TestSupport
import XCTest

/// The network rows of `FieldCollisionTests`: a server that trickles bytes (never stalling for a
/// whole stall timeout) is cut off by the minimum rate, and a dead, stalled or failing server
/// costs one shard's attempts, not every shard's: the server counts the requests it saw. And a
/// manifest that lies about a shard's sample count names only the limit it breaks.
extension FieldCollisionTests {
    /// `train` on the packed digits served at `manifest`, with a stall timeout of 1 s.
    private func served(_ manifest: String, run: String) -> [String] {
        train(
            manifest, run: path("runs/\(run)"),
            ["--validation", root + "/datasets/digits", "--cache-budget", "1MB", "--stall-timeout", "1", "--cache-dir", path("cache-\(run)")])
    }

    func testAFailingServerCostsOneShardsAttemptsAndATrickleIsCutOff() throws {
        let packed = try packDigits("served")
        let shards = try FileManager.default.contentsOfDirectory(atPath: packed).filter { $0.hasSuffix(".mrshard") }
        XCTAssertGreaterThan(shards.count, 4)
        typealias Row = (row: FieldCase, server: LoopbackHTTPServer)
        var rows: [Row] = []
        for (name, fault, fragments) in [
            // One byte every 0.1 s never stalls for 1 s; the minimum rate ends each try after about 2 s.
            ("trickle", LoopbackHTTPServer.Fault.trickle(interval: 0.1), ["too slow:", "twice the stall timeout, 2 s", "after 5 attempts"]),
            ("stall", .stall(afterBytes: 0), ["no data received for 1 s (stall timeout) (after 5 attempts)"]),
            ("status 503", .status(503), ["HTTP 503 (after 5 attempts)"]),
            ("reset", .reset(afterBytes: 0), ["(after 5 attempts)"]),
        ] {
            let server = try LoopbackHTTPServer(directory: packed)
            for shard in shards { server.inject(Array(repeating: fault, count: 5), for: shard) }
            let address = "http://127.0.0.1:\(server.port)/shard-"
            rows.append(
                (
                    FieldCase(
                        name, served(server.url("manifest.json").absoluteString, run: name), status: 1, [address] + fragments, unchanged: [packed]),
                    server
                ))
        }
        for (row, server) in rows {
            XCTAssertEqual(try row.problems(), [])
            let counts = server.requestCounts.filter { $0.key.hasSuffix(".mrshard") }
            // One shard tried 5 times; no other shard of the failing server tried at all.
            XCTAssertEqual(counts.values.sorted(), [5], "\(row.name): \(counts)")
            server.stop()
        }
    }

    func testALyingSampleCountNamesOnlyItsLimit() throws {
        let packed = try packDigits("lying")
        let url = URL(fileURLWithPath: packed + "/manifest.json")
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var shards = try XCTUnwrap(manifest["shards"] as? [[String: Any]])
        shards[0]["samples"] = 1_000_000_000_000
        manifest["shards"] = shards
        try JSONSerialization.data(withJSONObject: manifest).write(to: url)
        let named = try packDigits("named")
        let namedURL = URL(fileURLWithPath: named + "/manifest.json")
        var renamed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: namedURL)) as? [String: Any])
        var entries = try XCTUnwrap(renamed["shards"] as? [[String: Any]])
        entries[0]["name"] = "../escape.mrshard"
        renamed["shards"] = entries
        try JSONSerialization.data(withJSONObject: renamed).write(to: namedURL)
        let rows = [
            FieldCase(
                "10^12 samples in one shard", served(packed, run: "lying"), status: 1,
                ["claims 1000000000000 samples, more than its", "can index (at most", "24-byte header and 16 bytes of index per sample"],
                unchanged: [packed]),
            FieldCase(
                "a shard name with a slash", served(named, run: "named"), status: 1, ["contains '/': shard names must be plain file names"],
                unchanged: [named]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
        let lying = try BuiltProducts.run(BuiltProducts.executable("millrace"), served(packed, run: "again"))
        XCTAssertFalse(lying.errors.contains("shard names"), "the sample count's message names an unrelated rule:\n\(lying.errors)")
    }
}
