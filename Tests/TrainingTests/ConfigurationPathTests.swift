import Foundation
import TestSupport
import Training
import XCTest

/// Relative paths in a pipeline file resolve against the file's folder; absolute paths, URLs and
/// configurations decoded from saved JSON stay as written.
final class ConfigurationPathTests: XCTestCase {
    private func pipeline(dataset: String, checkpoint: String? = nil, runDirectory: String? = nil) -> String {
        var text = #"{"name": "p", "dataset": \#(dataset), "pipeline": {"batch_size": 4}, "model": {"layers": [{"type": "dense"}]}, "#
        text += #""loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 1}, "epochs": 1, "seed": 1"#
        if let checkpoint { text += #", "checkpoint": {"directory": "\#(checkpoint)"}"# }
        if let runDirectory { text += #", "logging": {"run_directory": "\#(runDirectory)"}"# }
        return text + "}"
    }

    func testRelativePathsResolveAgainstThePipelineFilesFolder() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("project/pipelines")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("p.json").path
        try pipeline(
            dataset: #"{"kind": "csv", "path": "../data/train.csv", "validation_path": "./held/out.csv"}"#, checkpoint: "../ckpt",
            runDirectory: "runs/here"
        ).write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try RunConfiguration.load(path: file)
        // The temporary directory may itself be reached through a symbolic link: compare with its own spelling.
        let root = directory.url.standardizedFileURL.path
        XCTAssertEqual(configuration.dataset.path, root + "/project/data/train.csv")
        XCTAssertEqual(configuration.dataset.validationPath, root + "/project/pipelines/held/out.csv")
        XCTAssertEqual(configuration.checkpoint?.directory, root + "/project/ckpt")
        XCTAssertEqual(configuration.logging?.runDirectory, root + "/project/pipelines/runs/here")
    }

    func testAbsolutePathsAndURLsStayAndDecodingNeverResolves() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("p.json").path
        let text = pipeline(dataset: #"{"kind": "packed", "path": "https://example.com/d/manifest.json", "validation_path": "/data/v"}"#)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try RunConfiguration.load(path: file)
        XCTAssertEqual(loaded.dataset.path, "https://example.com/d/manifest.json")
        XCTAssertEqual(loaded.dataset.validationPath, "/data/v")
        let decoded = try RunConfiguration.decode(
            Data(pipeline(dataset: #"{"kind": "csv", "path": "../data/train.csv"}"#).utf8), path: "manifest.json")
        XCTAssertEqual(decoded.dataset.path, "../data/train.csv")
    }

    func testAPipelineNamedRelativeToTheCurrentFolderResolvesToo() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("pipes")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try pipeline(dataset: #"{"kind": "csv", "path": "../d.csv"}"#).write(
            to: folder.appendingPathComponent("p.json"), atomically: true, encoding: .utf8)
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.url.path))
        let configuration = try RunConfiguration.load(path: "pipes/p.json")
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        XCTAssertEqual(configuration.dataset.path, current + "/d.csv")
    }
}
