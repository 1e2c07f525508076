import Foundation
import TestSupport
import XCTest

/// Issue 22, shapes: data that does not fit a model, through the `millrace` command. Each row is
/// a command, its exit status, fragments of its one-line message (naming both shapes), and the
/// run it must leave unchanged; none may trap.
final class FieldShapeTests: XCTestCase {
    private let root = Fixtures.repositoryRoot.path
    private var directory: TemporaryDirectory!
    private func path(_ name: String) -> String { directory.path(name).path }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory(prefix: "millrace-field-shape")
    }

    /// A folder of classes 0 and 1, four `side`x`side` RGB images each.
    private func rgbFolder(_ name: String, side: Int) throws -> String {
        for label in [0, 1] {
            try FileManager.default.createDirectory(atPath: path("\(name)/\(label)"), withIntermediateDirectories: true)
            for index in 0..<4 {
                let pixels = (0..<(side * side * 3)).map { UInt8(($0 * 7 + index * 31 + label * 90) % 256) }
                try PNGWriter.writeRGB(width: side, height: side, pixels: pixels, to: directory.path("\(name)/\(label)/\(index).png"))
            }
        }
        return path(name)
    }

    func testShapeMistakesAreOneErrorLine() throws {
        let run = path("run")
        let trained = try BuiltProducts.run(
            BuiltProducts.executable("millrace"),
            ["train", "pipelines/digits-mlp.json", "--data", root + "/datasets/digits", "--epochs", "1", "--run-dir", run, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let larger = try rgbFolder("larger", side: 10)
        let pipeline = path("big-kernel.json")
        let original = try Data(contentsOf: URL(fileURLWithPath: root + "/pipelines/digits-mlp.json"))
        var configuration = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
        configuration["model"] = ["layers": [["type": "conv2d", "filters": 2, "kernel": 9], ["type": "dense"]]]
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: pipeline))
        let rows = [
            FieldCase(
                "evaluate, RGB images of another size into the grey 8x8 model", ["evaluate", run + "/checkpoints", "--data", larger], status: 1,
                ["[1, 10, 10]", "[1, 8, 8]"], unchanged: [run]),
            FieldCase(
                "predict, an RGB image of another size", ["predict", run + "/checkpoints", larger + "/0/0.png"], status: 1,
                ["[1, 10, 10]", "[1, 8, 8]"], unchanged: [run]),
            FieldCase(
                "train, a kernel larger than the images", ["train", pipeline, "--data", root + "/datasets/digits", "--run-dir", path("refused")],
                status: 1, ["model.layers[0]", "8x8", "9x9 kernel"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("refused/checkpoints/latest")))
    }
}
