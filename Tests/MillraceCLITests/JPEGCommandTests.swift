import Foundation
import TestSupport
import XCTest

/// The `millrace` commands on JPEG data: `inspect` names the format, and `dataset.exif_orientation`
/// is part of the model's preprocessing (training, then `predict`, turn the images the same way).
final class JPEGCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func put(_ fixture: String, as relative: String) throws {
        let url = directory.path(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Fixtures.data("jpeg/\(fixture).jpg").write(to: url)
    }

    func testInspectNamesTheJPEGFormat() throws {
        try put("orientation-6", as: "one.jpg")
        let file = try BuiltProducts.run(millrace, ["inspect", directory.path("one.jpg").path, "--json"])
        XCTAssertEqual(file.status, 0, file.errors)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(file.output.utf8)) as? [String: Any])
        XCTAssertEqual(report["kind"] as? String, "jpeg")
        XCTAssertEqual(report["format"] as? String, "JPEG YCbCr 4:4:4 orientation 6")
        XCTAssertEqual([report["width"] as? Int, report["height"] as? Int], [7, 4], "inspect shows the stored size")

        try put("progressive", as: "root/a/x.jpg")
        try put("cmyk", as: "root/a/y.png")
        let folder = try BuiltProducts.run(millrace, ["inspect", directory.path("root").path, "--json"])
        XCTAssertEqual(folder.status, 0, folder.errors)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(folder.output.utf8)) as? [String: Any])
        XCTAssertEqual(summary["formats"] as? [String: Int], ["JPEG YCbCr 4:2:0 progressive": 1, "JPEG CMYK": 1])
    }

    func testExifOrientationTravelsWithTheModelToPredict() throws {
        // Four 7 x 4 JPEGs tagged 5-8: 4 x 7 once turned.
        for (name, folder) in [("orientation-5", "a"), ("orientation-6", "a"), ("orientation-7", "b"), ("orientation-8", "b")] {
            try put(name, as: "root/\(folder)/\(name).jpg")
        }
        try put("orientation-exif1-xmp6", as: "upright.jpg")
        try put("orientation-6", as: "turned.jpg")
        for (word, turnedStatus, uprightStatus) in [("apply", Int32(0), Int32(1)), ("ignore", 0, 0)] {
            let pipeline = """
                {"name": "jpeg", "dataset": {"kind": "image-folder", "path": "\(directory.path("root").path)", "exif_orientation": "\(word)"},
                 "pipeline": {"batch_size": 2, "threads": 1},
                 "model": {"layers": [{"type": "dense", "units": 2}]},
                 "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 1}
                """
            try pipeline.write(to: directory.path("\(word).json"), atomically: true, encoding: .utf8)
            let run = directory.path("run-\(word)").path
            let train = try BuiltProducts.run(millrace, ["train", directory.path("\(word).json").path, "--run-dir", run, "--quiet"])
            XCTAssertEqual(train.status, 0, train.errors)
            let turned = try BuiltProducts.run(millrace, ["predict", "\(run)/checkpoints", directory.path("turned.jpg").path])
            XCTAssertEqual(turned.status, turnedStatus, "\(word): \(turned.errors)")
            let upright = try BuiltProducts.run(millrace, ["predict", "\(run)/checkpoints", directory.path("upright.jpg").path])
            XCTAssertEqual(upright.status, uprightStatus, "\(word): \(upright.errors)")
            if word == "apply" {
                // Trained on 4 x 7 (turned) images; a 7 x 4 file left as stored does not fit.
                XCTAssertTrue(upright.errors.contains("[3, 4, 7]") && upright.errors.contains("[3, 7, 4]"), upright.errors)
            }
        }
    }
}
