import Foundation
import TestSupport
import XCTest

/// `millrace pack --shard-size` is a maximum for every shard file, header and index included.
final class PackCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")

    private let root = Fixtures.repositoryRoot.path

    /// The sizes of the `.mrshard` files in `folder`, by name, as the file system reports them.
    private func shardSizes(_ folder: String) throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".mrshard") {
            sizes[name] = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int)
        }
        return sizes
    }

    func testNoShardFileExceedsTheLimit() throws {
        let directory = try TemporaryDirectory()
        for limit in ["16384", "4KB", "1000"] {
            let output = directory.path("packed-\(limit)").path
            let result = try BuiltProducts.run(
                millrace, ["pack", root + "/datasets/digits", "--output", output, "--shard-size", limit, "--channels", "gray", "--json"])
            XCTAssertEqual(result.status, 0, result.errors)
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
            let bytes = limit == "4KB" ? 4096 : Int(limit)!
            let sizes = try shardSizes(output)
            XCTAssertGreaterThan(sizes.count, 1, limit)
            XCTAssertEqual(sizes.count, report["shards"] as? Int, limit)
            for (name, size) in sizes { XCTAssertLessThanOrEqual(size, bytes, "\(limit): \(name)") }
            XCTAssertEqual(report["samples"] as? Int, 1797, limit)
            XCTAssertEqual((report["oversized"] as? [Any])?.count, 0, limit)
        }
    }

    func testASampleLargerThanTheLimitGetsAShardOfItsOwnAndIsNamed() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("images")
        for name in ["a", "b"] { try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true) }
        // Four flat 48x48 images (small PNGs) and one of pseudo-random noise (incompressible: over 2 KB).
        for index in 0..<4 {
            try PNGWriter.writeGray(
                width: 48, height: 48, pixels: [UInt8](repeating: UInt8(index * 40), count: 48 * 48),
                to: folder.appendingPathComponent("\(index < 2 ? "a" : "b")/\(index).png"))
        }
        var state: UInt32 = 12345
        let noise = (0..<(48 * 48)).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        let big = folder.appendingPathComponent("b/big.png")
        try PNGWriter.writeGray(width: 48, height: 48, pixels: noise, to: big)
        let bigBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: big.path)[.size] as? Int)
        XCTAssertGreaterThan(bigBytes, 2048)
        let output = directory.path("packed").path
        let result = try BuiltProducts.run(
            millrace, ["pack", folder.path, "--output", output, "--shard-size", "2KB", "--channels", "gray"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertTrue(result.output.contains("big.png alone exceeds the shard size limit of 2048 bytes"), result.output)
        let sizes = try shardSizes(output)
        // Layout: a 24-byte header and a 16-byte index entry per sample, then the PNG bytes as they were.
        let oversized = sizes.filter { $0.value > 2048 }
        XCTAssertEqual(Array(oversized.values), [24 + 16 + bigBytes])
        let manifest = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/manifest.json"))) as? [String: Any])
        let shards = try XCTUnwrap(manifest["shards"] as? [[String: Any]])
        XCTAssertEqual(shards.first { $0["name"] as? String == oversized.keys.first }?["samples"] as? Int, 1)
        XCTAssertEqual(shards.reduce(0) { $0 + ($1["samples"] as? Int ?? 0) }, 5)
    }
}
