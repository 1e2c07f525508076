import Foundation
import Millrace
import TestSupport
import XCTest

/// `pipelines/cifar-resnet.json`: ResNet-20 as `LayerEntry.cifarResNet(depth: 20)` builds it and
/// as PyTorch's `torch_train_step.py resnet20` names its tensors, trained for a step on small
/// synthetic RGB class folders.
final class ResNetPipelineTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var pipeline: String { "\(Fixtures.repositoryRoot.path)/pipelines/cifar-resnet.json" }

    func testTheShippedPipelineIsResNet20NamedAsPyTorchNamesIt() throws {
        let configuration = try RunConfiguration.load(path: pipeline)
        let fromFile = try ModelBuilder.build(configuration.model.layers, sampleShape: [3, 32, 32], classes: 10, seed: 5)
        let fromCode = try ModelBuilder.build(
            try XCTUnwrap(RunConfiguration.LayerEntry.cifarResNet(depth: 20)), sampleShape: [3, 32, 32], classes: 10, seed: 5)
        XCTAssertEqual(fromFile.stateTensors().map(\.name), fromCode.stateTensors().map(\.name))
        XCTAssertEqual(fromFile.stateTensors().map(\.tensor), fromCode.stateTensors().map(\.tensor))
        // Tests/Fixtures/make_resnet20_names.py wrote the PyTorch model's names and shapes.
        let torch = String(decoding: try Fixtures.data("resnet20-torch-state-dict.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
        let ours = fromFile.stateTensors().map { "\($0.name) \($0.tensor.shape)" }
        XCTAssertEqual(torch.count, 128)
        XCTAssertEqual(Set(ours), Set(torch), "only ours: \(Set(ours).subtracting(torch)); only PyTorch's: \(Set(torch).subtracting(ours))")
        XCTAssertEqual(fromFile.parameterCount, 272_474, "He et al.'s 0.27M")
        XCTAssertNil(RunConfiguration.LayerEntry.cifarResNet(depth: 21))
    }

    /// Class folders `cat` and `dog` of 32x32 RGB PNGs under `train` (8 each) and `test` (4 each):
    /// cats bright at the top, dogs at the bottom, with a pattern per image.
    private func writeFolders(in directory: TemporaryDirectory) throws {
        for (split, count) in [("train", 8), ("test", 4)] {
            for label in ["cat", "dog"] {
                let folder = directory.path("\(split)/\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for index in 0..<count {
                    let pixels = (0..<(32 * 32 * 3)).map { element -> UInt8 in
                        let bright = (label == "cat") == (element / (32 * 3) < 16)
                        return UInt8((bright ? 180 : 40) + (element * 7 + index * 13) % 50)
                    }
                    try PNGWriter.writeRGB(width: 32, height: 32, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
                }
            }
        }
    }

    /// Trains the pipeline for one epoch (2 steps of 8) on the folders; returns the run's `--json` object.
    private func train(in directory: TemporaryDirectory) throws -> [String: Any] {
        try writeFolders(in: directory)
        let result = try BuiltProducts.run(
            millrace,
            [
                "train", pipeline, "--data", directory.path("train").path, "--validation", directory.path("test").path, "--epochs", "1",
                "--batch-size", "8", "--run-dir", directory.path("run").path, "--quiet", "--json",
            ])
        XCTAssertEqual(result.status, 0, result.errors)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
    }

    func testItTrainsOnSmallRGBFolders() throws {
        let directory = try TemporaryDirectory()
        let summary = try train(in: directory)
        XCTAssertEqual(summary["steps"] as? Int, 2)
        XCTAssertNotNil(summary["final_validation_accuracy"] as? Double, "\(summary)")
        let checkpoint = try CommittedCheckpoint.latest(in: directory.path("run/checkpoints"))
        XCTAssertEqual(checkpoint.step, 2)
        let header = String(decoding: checkpoint.model.prefix(20_000), as: UTF8.self)
        for name in ["\"6.shortcut.0.weight\"", "\"11.body.4.running_var\"", "\"11.body.4.num_batches_tracked\"", "\"14.weight\""] {
            XCTAssertTrue(header.contains(name), name)
        }
    }

    /// The checkpoint loads into the PyTorch model with `strict=True` (Tests/Fixtures/
    /// torch_resnet20_predict.py) and PyTorch predicts the classes and probabilities that
    /// `millrace predict` does. Needs a Python with torch (`.ci/setup` installs the CPU wheel
    /// into .venv where `$PIP_FIND_LINKS` holds it); skipped, saying so, where there is none.
    func testItsCheckpointLoadsIntoPyTorchStrictlyAndPredictsTheSame() throws {
        let python = PythonInterpreter.command
        let probe = try BuiltProducts.run(python.executable, python.arguments + ["-c", "import torch, safetensors, PIL"])
        guard probe.status == 0 else {
            throw XCTSkip(
                "no PyTorch in \(python.executable) (.ci/setup installs it where $PIP_FIND_LINKS holds the CPU wheel): \(probe.errors.suffix(200))")
        }
        let directory = try TemporaryDirectory()
        _ = try train(in: directory)
        let checkpoint = directory.path("run/checkpoints").path
        let images = ["cat", "dog"].flatMap { label in (0..<4).map { directory.path("test/\(label)/\($0).png").path } }
        let ours = try BuiltProducts.run(millrace, ["predict", checkpoint] + images + ["--json"])
        XCTAssertEqual(ours.status, 0, ours.errors)
        let results = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(ours.output.utf8)) as? [String: Any])?["results"] as? [[String: Any]], ours.output)
        let step = try XCTUnwrap(try CommittedCheckpoint.latest(in: directory.path("run/checkpoints")).name)
        let torch = try BuiltProducts.run(
            python.executable,
            python.arguments + [
                Fixtures.directory.appendingPathComponent("torch_resnet20_predict.py").path, "\(checkpoint)/\(step)/model.safetensors",
            ]
                + images)
        XCTAssertEqual(torch.status, 0, torch.errors)
        let theirs = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(torch.output.utf8)) as? [[Double]], torch.output)
        XCTAssertEqual(results.count, 8)
        XCTAssertEqual(theirs.count, 8)
        for (result, expected) in zip(results, theirs) {
            let best = try XCTUnwrap((result["predictions"] as? [[String: Any]])?.first, "\(result)")
            XCTAssertEqual(best["class"] as? String, ["cat", "dog"][Int(expected[0])], "\(result) against PyTorch's \(expected)")
            XCTAssertEqual(try XCTUnwrap(best["probability"] as? Double), expected[1], accuracy: 1e-4, "\(result)")
        }
    }
}
