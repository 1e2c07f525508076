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
        XCTAssertEqual(torch.count, 107)
        XCTAssertEqual(Set(ours), Set(torch), "only ours: \(Set(ours).subtracting(torch)); only PyTorch's: \(Set(torch).subtracting(ours))")
        XCTAssertEqual(fromFile.parameterCount, 272_474, "He et al.'s 0.27M")
        XCTAssertNil(RunConfiguration.LayerEntry.cifarResNet(depth: 21))
    }

    func testItTrainsOnSmallRGBFolders() throws {
        let directory = try TemporaryDirectory()
        for (split, count) in [("train", 8), ("test", 4)] {
            for label in ["cat", "dog"] {
                let folder = directory.path("\(split)/\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for index in 0..<count {
                    // Cats bright at the top, dogs at the bottom, with a per-image pattern.
                    let pixels = (0..<(32 * 32 * 3)).map { element -> UInt8 in
                        let row = element / (32 * 3)
                        let bright = (label == "cat") == (row < 16)
                        return UInt8((bright ? 180 : 40) + (element * 7 + index * 13) % 50)
                    }
                    try PNGWriter.writeRGB(width: 32, height: 32, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
                }
            }
        }
        let run = directory.path("run")
        let result = try BuiltProducts.run(
            millrace,
            [
                "train", pipeline, "--data", directory.path("train").path, "--validation", directory.path("test").path, "--epochs", "1",
                "--batch-size", "8", "--run-dir", run.path, "--quiet", "--json",
            ])
        XCTAssertEqual(result.status, 0, result.errors)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        XCTAssertEqual(summary["steps"] as? Int, 2)
        XCTAssertNotNil(summary["final_validation_accuracy"] as? Double, result.output)
        let checkpoint = try CommittedCheckpoint.latest(in: run.appendingPathComponent("checkpoints"))
        XCTAssertEqual(checkpoint.step, 2)
        let header = String(decoding: checkpoint.model.prefix(20_000), as: UTF8.self)
        for name in ["\"6.shortcut.0.weight\"", "\"11.body.4.running_var\"", "\"14.weight\""] {
            XCTAssertTrue(header.contains(name), name)
        }
    }
}
