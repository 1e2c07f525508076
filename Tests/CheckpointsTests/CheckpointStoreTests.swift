import Checkpoints
import Foundation
import Tensors
import TestSupport
import XCTest

final class CheckpointStoreTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func contents(step: Int, metrics: [String: Double] = [:], scale: Float = 1) -> CheckpointContents {
        let manifest = CheckpointManifest(
            step: step, epoch: step / 10, createdAt: Double(step),
            pipelineState: .object(["seed": .unsigned(UInt64.max), "epoch": .number(1), "position": .number(40), "ratio": .number(0.25)]),
            generatorState: [1, 2, 3, 4], optimizerStep: step, metrics: metrics, hyperparameters: ["learning_rate": "0.1"], configuration: "{}")
        return CheckpointContents(
            manifest: manifest, model: [NamedTensor("0.weight", Tensor.random([4, 3], seed: UInt64(step)) * scale)],
            optimizer: [NamedTensor("0.weight.exp_avg", Tensor([Float(step)]))])
    }

    func testSaveAndLoadRoundTrip() throws {
        let store = try CheckpointStore(directory: directory.path("run").path)
        try store.save(contents(step: 5))
        try store.save(contents(step: 10))
        try store.waitUntilSaved()
        XCTAssertEqual(store.checkpoints().map(\.name), ["step-000000005", "step-000000010"])
        let loaded = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(loaded.manifest.step, 10)
        XCTAssertEqual(loaded.manifest.pipelineState, contents(step: 10).manifest.pipelineState)
        XCTAssertEqual(loaded.model, contents(step: 10).model)
        XCTAssertEqual(loaded.optimizer, contents(step: 10).optimizer)
        XCTAssertEqual(try String(contentsOfFile: directory.path("run/latest").path, encoding: .utf8), "step-000000010")
    }

    func testCorruptNewestFallsBackToThePreviousGoodOne() throws {
        let store = try CheckpointStore(directory: directory.path("run").path)
        for step in [1, 2, 3] { try store.save(contents(step: step)) }
        try store.waitUntilSaved()
        let newest = directory.path("run/step-000000003/model.safetensors")
        var bytes = try Data(contentsOf: newest)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: newest)
        let loaded = try XCTUnwrap(try store.loadLatest())
        XCTAssertEqual(loaded.manifest.step, 2)
        XCTAssertEqual(store.problems.map(\.kind), [.checksumMismatch])
        XCTAssertTrue(store.problems[0].path.hasSuffix("step-000000003/model.safetensors"))
        try FileManager.default.removeItem(at: directory.path("run/step-000000002/manifest.json"))
        XCTAssertEqual(try store.loadLatest()?.manifest.step, 1)
    }

    func testTemporaryDirectoriesFromACrashAreRemovedAtOpen() throws {
        let run = directory.path("run")
        try FileManager.default.createDirectory(at: run.appendingPathComponent(".tmp-step-000000009-123/nested"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: run.appendingPathComponent(".tmp-step-000000009-123/model.safetensors"))
        let store = try CheckpointStore(directory: run.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.path), [])
        XCTAssertNil(try store.loadLatest())
    }

    func testBackgroundFailureSurfacesAtTheNextSave() throws {
        let store = try CheckpointStore(directory: directory.path("doomed").path)
        try FileManager.default.removeItem(at: directory.path("doomed"))  // the disk "goes away"
        try store.save(contents(step: 1))  // returns at once
        XCTAssertThrowsError(try store.save(contents(step: 2))) { error in
            XCTAssertEqual((error as? CheckpointError)?.kind, .io)
        }
    }

    func testRetentionKeepsNewestBestAndEvery() throws {
        let store = try CheckpointStore(
            directory: directory.path("run").path,
            retention: RetentionPolicy(keepLast: 2, keepBest: 1, metric: "loss", goal: .minimize, keepEverySteps: 4))
        for (step, loss) in [(1, 0.9), (2, 0.2), (3, 0.5), (4, 0.6), (5, 0.7), (6, 0.8), (7, 0.9)] {
            try store.save(contents(step: step, metrics: ["loss": loss]))
        }
        try store.waitUntilSaved()
        XCTAssertEqual(store.checkpoints().map(\.step), [2, 4, 6, 7])  // best (2), every 4th (4), last two (6, 7)
    }
}
