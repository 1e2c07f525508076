import Checkpoints
import Foundation
import Tensors
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Manifest checksums, the directory lock and moving an earlier run's checkpoints aside.
final class CheckpointLifecycleTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func contents(step: Int) -> CheckpointContents {
        let manifest = CheckpointManifest(
            step: step, epoch: step / 10, createdAt: 1_715_000_000.125 + Double(step),
            pipelineState: .object(["seed": .unsigned(UInt64.max), "epoch": .number(1), "position": .number(40), "ratio": .number(0.25)]),
            generatorState: [1, 2, 3, 4], optimizerStep: step, metrics: ["loss": 0.693_147_18, "accuracy": 0.5],
            hyperparameters: ["learning_rate": "0.1", "batch_size": "8"], configuration: #"{"model": {"layers": []}, "path": "a/b"}"#)
        return CheckpointContents(
            manifest: manifest, model: [NamedTensor("0.weight", Tensor.random([4, 3], seed: UInt64(step)))],
            optimizer: [NamedTensor("0.weight.exp_avg", Tensor([Float(step)]))])
    }

    private func store(steps: [Int]) throws -> CheckpointStore {
        let store = try CheckpointStore(directory: directory.path("run").path)
        for step in steps { try store.save(contents(step: step)) }
        try store.waitUntilSaved()
        return store
    }

    /// Every single-bit flip at every byte of a manifest (three bit positions each) makes the
    /// checkpoint fail to load, as a flipped byte of a tensor file does.
    func testEveryFlippedByteOfAManifestIsDetected() throws {
        _ = try store(steps: [7])
        let checkpoint = directory.path("run/step-000000007").path
        let file = URL(fileURLWithPath: checkpoint + "/manifest.json")
        let original = try Data(contentsOf: file)
        XCTAssertTrue(String(decoding: original, as: UTF8.self).contains("\"manifestCRC32\""))
        XCTAssertEqual(try CheckpointStore.load(checkpoint: checkpoint).manifest.step, 7)
        var undetected: [String] = []
        var tried = 0
        for index in original.indices {
            for mask: UInt8 in [0x01, 0x08, 0x40] {
                var damaged = original
                damaged[index] ^= mask
                try damaged.write(to: file)
                tried += 1
                if (try? CheckpointStore.load(checkpoint: checkpoint)) != nil {
                    undetected.append(
                        "byte \(index) ^ \(mask): \(String(decoding: damaged[max(0, index - 12)..<min(damaged.count, index + 12)], as: UTF8.self))")
                }
            }
        }
        try original.write(to: file)
        XCTAssertEqual(tried, original.count * 3)
        XCTAssertEqual(undetected, [])
    }

    /// A manifest written before the checksum existed (no `manifestCRC32`) still loads.
    func testManifestWithoutAChecksumStaysLoadable() throws {
        _ = try store(steps: [3])
        let file = directory.path("run/step-000000003/manifest.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("manifestCRC32") }
        XCTAssertEqual(lines.count, text.split(separator: "\n", omittingEmptySubsequences: false).count - 1)
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let loaded = try CheckpointStore.load(checkpoint: directory.path("run/step-000000003").path)
        XCTAssertNil(loaded.manifest.manifestCRC32)
        XCTAssertEqual(loaded.manifest.step, 3)
    }

    /// A damaged newest manifest is passed over like a damaged tensor file, even though the
    /// checkpoint listing cannot read it; with every manifest damaged nothing loads and each
    /// one is named in `problems`.
    func testLoadLatestFallsBackPastADamagedManifest() throws {
        let store = try store(steps: [1, 2, 3])
        func damage(_ step: Int) throws {
            let file = directory.path(String(format: "run/step-%09d/manifest.json", step))
            var text = try String(contentsOf: file, encoding: .utf8)
            text = text.replacingOccurrences(of: "\"optimizerStep\" : \(step)", with: "\"optimizerStep\" : \(step + 10)")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        try damage(3)
        XCTAssertEqual(try store.loadLatest()?.manifest.step, 2)
        XCTAssertEqual(store.problems.map(\.kind), [.checksumMismatch])
        XCTAssertTrue(store.problems[0].path.hasSuffix("step-000000003/manifest.json"), store.problems[0].path)
        try damage(2)
        try damage(1)
        XCTAssertNil(try store.loadLatest())
        XCTAssertEqual(
            store.problems.map(\.path).map { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent },
            [
                "step-000000003", "step-000000002", "step-000000001",
            ])
    }

    /// A second lock on a locked directory is refused and names the holder's process id (this
    /// process: the lock is per open file, so one process cannot take it twice); it is free again
    /// once released, and the file then holds the new holder's id.
    func testDirectoryLockRefusesASecondHolderAndNamesTheFirst() throws {
        let path = directory.path("locked/deeper").path
        let first = try DirectoryLock(directory: path)
        XCTAssertEqual(try String(contentsOfFile: path + "/.lock", encoding: .utf8), "\(getpid())\n")
        XCTAssertThrowsError(try DirectoryLock(directory: path)) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.kind, .locked)
            XCTAssertEqual(error?.path, path)
            XCTAssertTrue(error?.reason.contains("process \(getpid())") == true, "\(String(describing: error))")
        }
        // An independent check with flock itself: the lock is really held.
        let descriptor = open(path + "/.lock", O_RDONLY)
        defer { close(descriptor) }
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), -1)
        first.release()
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        XCTAssertEqual(flock(descriptor, LOCK_UN), 0)
        XCTAssertNoThrow(try DirectoryLock(directory: path))
    }

    /// Releasing removes the lock file and the folders the lock created while they are empty, so
    /// a run refused after locking leaves the disk as it was; a folder that existed before, or
    /// that now holds a file, stays. A process that opened the removed file before the release
    /// gets its lock on a file no longer named by the path: the next lock takes a new file.
    func testReleaseRemovesTheLockFileAndTheEmptyFoldersItCreated() throws {
        let existing = directory.path("existing").path
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let before = TreeSnapshot(of: directory.url.path)
        let lock = try DirectoryLock(directory: existing + "/a/b/c")
        let stale = open(existing + "/a/b/c/.lock", O_RDONLY)
        defer { close(stale) }
        lock.release()
        XCTAssertEqual(TreeSnapshot(of: directory.url.path), before)
        XCTAssertEqual(flock(stale, LOCK_EX | LOCK_NB), 0, "the removed file is free")
        let next = try DirectoryLock(directory: existing + "/a/b/c")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: existing + "/a/note.txt"))
        next.release()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: existing + "/a"), ["note.txt"])
    }

    /// Moving aside renames every entry but the lock file into a new sibling folder, bytes
    /// unchanged; a second move in the same second gets a folder of its own.
    func testMoveAsideKeepsEveryFileAndTheLock() throws {
        _ = try store(steps: [1, 2])
        let run = directory.path("run").path
        let lock = try DirectoryLock(directory: run)
        let before = TreeSnapshot(of: run)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let moved = try XCTUnwrap(try CheckpointStore.moveAside(directory: run, now: now))
        XCTAssertTrue(moved.hasPrefix(run + ".old-"), moved)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run), [".lock"])
        var expected = before.entries
        expected[".lock"] = nil
        XCTAssertEqual(TreeSnapshot(of: moved).entries, expected)
        XCTAssertNil(try CheckpointStore.moveAside(directory: run, now: now), "nothing left to move")
        _ = try store(steps: [3])
        let second = try XCTUnwrap(try CheckpointStore.moveAside(directory: run, now: now))
        XCTAssertEqual(second, moved + "-2")
        XCTAssertEqual(try CheckpointStore(directory: moved, mode: .readOnly).loadLatest()?.manifest.step, 2)
        lock.release()
    }
}
