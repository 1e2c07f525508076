import Checkpoints
import Foundation
import Tensors
import TestSupport
import XCTest

/// Readers (evaluate, predict, inspect) open stores read-only and change nothing in them.
final class CheckpointStoreReadOnlyTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func contents(step: Int) -> CheckpointContents {
        let manifest = CheckpointManifest(
            step: step, epoch: 0, createdAt: Double(step), pipelineState: .object(["epoch": .number(0)]),
            generatorState: [1, 2, 3, 4], optimizerStep: step, metrics: [:], hyperparameters: [:], configuration: "{}")
        return CheckpointContents(manifest: manifest, model: [NamedTensor("0.weight", Tensor.random([4, 3], seed: UInt64(step)))], optimizer: [])
    }

    /// Every entry under `root` (recursively) with its size.
    private func snapshot(_ root: URL) -> [String: Int] {
        var entries: [String: Int] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let name = enumerator?.nextObject() as? String {
            entries[name] = (try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(name).path)[.size] as? Int) ?? -1
        }
        return entries
    }

    func testReadOnlyOpenAndLoadLeaveACommitInProgressAlone() throws {
        let run = directory.path("run")
        let owner = try CheckpointStore(directory: run.path)
        try owner.save(contents(step: 1))
        try owner.save(contents(step: 2))
        try owner.waitUntilSaved()
        // A live run's commit in progress: a temporary directory with a half-written file.
        let inProgress = run.appendingPathComponent(".tmp-step-000000003-42")
        try FileManager.default.createDirectory(at: inProgress, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: inProgress.appendingPathComponent("model.safetensors"))
        let before = snapshot(run)
        XCTAssertEqual(before[".tmp-step-000000003-42/model.safetensors"], 4)

        let reader = try CheckpointStore(directory: run.path, mode: .readOnly)
        XCTAssertEqual(try reader.loadLatest()?.manifest.step, 2)
        XCTAssertEqual(reader.checkpoints().map(\.step), [1, 2])
        XCTAssertThrowsError(try reader.save(contents(step: 3)))
        XCTAssertEqual(snapshot(run), before, "a read-only store changed its directory")
    }

    func testReadOnlyOpenOfAMissingDirectoryCreatesNothing() {
        let missing = directory.path("absent")
        XCTAssertThrowsError(try CheckpointStore(directory: missing.path, mode: .readOnly)) {
            XCTAssertEqual(($0 as? CheckpointError)?.kind, .notFound)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
    }
}
