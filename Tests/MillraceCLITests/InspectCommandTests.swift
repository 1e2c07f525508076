import Foundation
import TestSupport
import XCTest

/// `millrace inspect` on a folder with bad files: every one is listed, the rest still read.
final class InspectCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")

    func testInspectListsEveryBadFileAndCarriesOn() throws {
        let directory = try TemporaryDirectory()
        let good = PNGWriter.encode(width: 4, height: 3, colorType: 0, bitDepth: 8, samples: (0..<12).map { UInt16($0 * 20) })
        let folder = directory.path("images")
        for name in ["a", "b"] { try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true) }
        // Sorted first in its class: a truncated copy (header intact, image data cut).
        try Data(good.prefix(good.count - 20)).write(to: folder.appendingPathComponent("a/0-truncated.png"))
        try Data(good).write(to: folder.appendingPathComponent("a/1-good.png"))
        try Data("not a png at all".utf8).write(to: folder.appendingPathComponent("b/0-text.png"))
        try Data(good).write(to: folder.appendingPathComponent("b/1-good.png"))
        try Data().write(to: folder.appendingPathComponent("b/2-empty.png"))
        let result = try BuiltProducts.run(millrace, ["inspect", folder.path, "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(report["count"] as? Int, 5)
        let bad = try XCTUnwrap(report["bad_files"] as? [[String: String]])
        XCTAssertEqual(bad.map { URL(fileURLWithPath: $0["path"] ?? "").lastPathComponent }, ["0-truncated.png", "0-text.png", "2-empty.png"])
        XCTAssertTrue(bad[0]["reason"]?.contains("truncated") ?? false, "\(bad[0])")
        XCTAssertTrue(bad[1]["reason"]?.contains("signature") ?? false, "\(bad[1])")
        XCTAssertTrue(bad[2]["reason"]?.contains("empty") ?? false, "\(bad[2])")
        XCTAssertEqual(report["image_sizes"] as? [String: Int], ["4x3": 2])
    }
}
