import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 20's lifecycle rows: what `--resume`, `--restart`, a damaged checkpoint, another model
/// or optimizer, and a folder in use by another run do. Each row runs the built `millrace` on a
/// copy of a trained run of its own and checks the exit status, the message, and that nothing
/// that must survive was changed.
final class FieldLifecycleTests: XCTestCase {
    let millrace = BuiltProducts.executable("millrace")
    var directory: TemporaryDirectory!
    /// Trained runs by pipeline name, copied for each row.
    private var trained: [String: URL] = [:]

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        try LifecycleFixture.write(into: directory)
    }

    /// The absolute path of `name` in the test's folder.
    func path(_ name: String) -> String { directory.path(name).path }

    /// Trains `pipeline` once (2 epochs of 12 steps, a checkpoint every 4 steps) and returns its run directory.
    private func base(_ pipeline: String) throws -> URL {
        if let run = trained[pipeline] { return run }
        let run = directory.path("base-\(pipeline)")
        let result = try BuiltProducts.run(
            millrace, ["train", path("\(pipeline).json"), "--run-dir", run.path, "--checkpoint-every", "4", "--quiet"])
        XCTAssertEqual(result.status, 0, result.errors)
        trained[pipeline] = run
        return run
    }

    /// A fresh copy of the run trained with `pipeline`, as `name`; returns its path.
    private func copy(_ pipeline: String, as name: String) throws -> String {
        try FileManager.default.copyItem(at: try base(pipeline), to: directory.path(name))
        return path(name)
    }

    /// Every file and folder of a run that a refused command must leave alone: all of it but the
    /// lock files (a refused `train` takes the lock, and writes its pid there, before it refuses).
    private func kept(_ run: String) -> [String] {
        let manager = FileManager.default
        return ((try? manager.contentsOfDirectory(atPath: run)) ?? []).sorted().flatMap { name -> [String] in
            guard name != ".lock" else { return [] }
            guard name == "checkpoints" else { return [run + "/" + name] }
            return ((try? manager.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []).sorted().filter { $0 != ".lock" }.map {
                run + "/checkpoints/" + $0
            }
        }
    }

    /// `train <pipeline> --run-dir <run>` and more.
    private func train(_ pipeline: String, _ run: String, _ extra: [String] = []) -> [String] {
        ["train", path("\(pipeline).json"), "--run-dir", run, "--checkpoint-every", "4"] + extra
    }

    /// Applies `change` to a file of every step folder of `run`'s checkpoints (or only the newest).
    private func damage(_ run: String, _ file: String, newestOnly: Bool = false, _ change: (inout Data) -> Void) throws {
        let checkpoints = run + "/checkpoints"
        var folders = try FileManager.default.contentsOfDirectory(atPath: checkpoints).filter { $0.hasPrefix("step-") }.sorted()
        XCTAssertGreaterThanOrEqual(folders.count, 2)
        if newestOnly { folders = [folders.last!] }
        for folder in folders {
            let url = URL(fileURLWithPath: "\(checkpoints)/\(folder)/\(file)")
            var bytes = try Data(contentsOf: url)
            change(&bytes)
            if bytes.isEmpty { try FileManager.default.removeItem(at: url) } else { try bytes.write(to: url) }
        }
    }

    /// Flips one digit of the manifest's `optimizerStep`: valid JSON whose checksum no longer holds.
    private static func flipManifestDigit(_ bytes: inout Data) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: "\"optimizerStep\" : ") else { return XCTFail("no optimizerStep in the manifest") }
        let index = text.utf8.distance(from: text.startIndex, to: range.upperBound)
        bytes[index] = bytes[index] == UInt8(ascii: "9") ? UInt8(ascii: "8") : bytes[index] + 1
    }

    /// Resuming, restarting and refusing to mix runs.
    func testResumeAndRestartRows() throws {
        let occupied = try copy("adam", as: "occupied")
        let shared = try copy("adam", as: "shared")
        let both = try copy("adam", as: "both")
        let restarted = try copy("adam", as: "restarted")
        var restartedBefore = TreeSnapshot(of: restarted + "/checkpoints")
        restartedBefore.entries[".lock"] = nil  // the lock stays with the folder
        let leftovers = path("leftovers")
        try FileManager.default.createDirectory(atPath: leftovers + "/checkpoints/.tmp-step-000000004-1", withIntermediateDirectories: true)
        let stale = path("stale")
        try FileManager.default.createDirectory(atPath: stale + "/checkpoints", withIntermediateDirectories: true)
        try "step-000000008".write(toFile: stale + "/checkpoints/latest", atomically: true, encoding: .utf8)
        let rows = [
            FieldCase(
                "train again into a folder with checkpoints", train("adam", occupied), status: 1,
                ["holds 3 checkpoint(s) of an earlier run", "--resume", "--restart"], unchanged: kept(occupied)),
            FieldCase(
                "another run directory sharing the checkpoint directory",
                train("adam", path("elsewhere"), ["--checkpoint-dir", shared + "/checkpoints"]), status: 1,
                ["earlier run", "--restart"], unchanged: kept(shared)),
            FieldCase(
                "--resume with --restart", train("adam", both, ["--resume", "--restart"]), status: 1, ["--resume and --restart"],
                unchanged: kept(both)),
            FieldCase(
                "--restart moves the checkpoints aside", train("adam", restarted, ["--restart"]), status: 0,
                ["moved the earlier run's checkpoints to"]),
            FieldCase("--restart on a new folder", train("adam", path("fresh"), ["--restart"]), status: 0, ["done: 2 epochs, 24 steps"]),
            FieldCase("only temporary leftovers of a crash", train("adam", leftovers), status: 0, ["done: 2 epochs, 24 steps"]),
            FieldCase(
                "--resume with no checkpoint yet", train("adam", path("requeued"), ["--resume"]), status: 0,
                ["--resume found no checkpoint in", "starting from the beginning", "done: 2 epochs, 24 steps"]),
            FieldCase("--resume with only a stale latest pointer", train("adam", stale, ["--resume"]), status: 0, ["starting from the beginning"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
        let moved = try FileManager.default.contentsOfDirectory(atPath: restarted).filter { $0.hasPrefix("checkpoints.old-") }
        XCTAssertEqual(moved.count, 1, "\(moved)")
        XCTAssertEqual(TreeSnapshot(of: "\(restarted)/\(moved.first ?? "")"), restartedBefore, "--restart kept every old file, bytes unchanged")
        XCTAssertEqual(try String(contentsOfFile: restarted + "/checkpoints/latest", encoding: .utf8), "step-000000024")
    }

    /// Damaged checkpoints: passed over while a good one is left, an error naming the damage
    /// when none is, never a silent start from step 0.
    func testDamagedCheckpointRows() throws {
        let models = try copy("adam", as: "models")
        try damage(models, "model.safetensors") { $0[$0.count - 1] ^= 0x01 }
        let manifests = try copy("adam", as: "manifests")
        try damage(manifests, "manifest.json", FieldLifecycleTests.flipManifestDigit)
        let missing = try copy("adam", as: "missing")
        try damage(missing, "manifest.json") { $0 = Data() }
        let truncated = try copy("adam", as: "truncated")
        try damage(truncated, "optimizer.safetensors") { $0 = $0.prefix($0.count / 2) }
        let newest = try copy("adam", as: "newest")
        try damage(newest, "manifest.json", newestOnly: true, FieldLifecycleTests.flipManifestDigit)
        let legacy = try copy("adam", as: "legacy")
        try damage(legacy, "manifest.json") { bytes in
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            bytes = Data(lines.filter { !$0.contains("manifestCRC32") }.joined(separator: "\n").utf8)
        }
        let rows = [
            FieldCase(
                "every model file damaged", train("adam", models, ["--resume"]), status: 1,
                ["every checkpoint is damaged (3)", "model.safetensors", "CRC32"], unchanged: kept(models)),
            FieldCase(
                "every manifest damaged", train("adam", manifests, ["--resume"]), status: 1,
                ["every checkpoint is damaged (3)", "manifest.json", "CRC32"], unchanged: kept(manifests)),
            FieldCase(
                "every manifest missing", train("adam", missing, ["--resume"]), status: 1, ["every checkpoint is damaged (3)", "manifest.json"],
                unchanged: kept(missing)),
            FieldCase(
                "every optimizer file truncated", train("adam", truncated, ["--resume"]), status: 1,
                ["every checkpoint is damaged (3)", "optimizer.safetensors"], unchanged: kept(truncated)),
            FieldCase(
                "the newest manifest damaged", train("adam", newest, ["--resume", "--epochs", "3"]), status: 0,
                ["skipped a damaged checkpoint", "step-000000024/manifest.json", "resuming from", "step-000000020 (step 20"]),
            FieldCase(
                "a manifest without a checksum (an earlier Millrace)", train("adam", legacy, ["--resume", "--epochs", "3"]), status: 0,
                ["resuming from", "step-000000024 (step 24", "done: 3 epochs, 36 steps"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    /// Resuming with another model or optimizer is refused with the difference named; the
    /// learning rate, epochs, batch size and the optimizer's other settings may change, each said.
    func testResumeCompatibilityRows() throws {
        var runs: [String: String] = [:]
        for (name, pipeline) in [
            ("wide", "adam"), ("tanh", "adam"), ("sgd", "adam"), ("momentum-on", "sgd"), ("momentum-off", "sgd-momentum"),
            ("rate", "adam"), ("epochs", "adam"), ("batch", "adam"), ("momentum-value", "sgd-momentum"),
        ] {
            runs[name] = try copy(pipeline, as: name)
        }
        func refused(_ name: String, _ pipeline: String, _ fragments: [String]) -> FieldCase {
            FieldCase(
                "resume \(name) with \(pipeline)", train(pipeline, runs[name]!, ["--resume"]), status: 1,
                fragments + ["--restart"], unchanged: kept(runs[name]!))
        }
        let rows = [
            refused("wide", "wide", ["another model", "model.layers[0].units is 32 here, 16 in the checkpoint"]),
            refused("tanh", "tanh", ["another model", "model.layers[1].type is \"tanh\" here, \"relu\" in the checkpoint"]),
            refused("sgd", "sgd", ["optimizer \"adam\", this run asks for \"sgd\""]),
            refused("momentum-on", "sgd-momentum", ["momentum off, this run has it on"]),
            refused("momentum-off", "sgd", ["momentum on, this run has it off"]),
            FieldCase(
                "resume with another learning rate", train("adam", runs["rate"]!, ["--resume", "--learning-rate", "0.05", "--epochs", "3"]),
                status: 0, ["resuming with learning rate 0.05 (was 0.01)", "done: 3 epochs, 36 steps"]),
            FieldCase(
                "resume with more epochs", train("adam", runs["epochs"]!, ["--resume", "--epochs", "3"]), status: 0,
                ["resuming with epochs 3 (was 2)", "done: 3 epochs, 36 steps"]),
            FieldCase(
                "resume with another batch size", train("adam", runs["batch"]!, ["--resume", "--batch-size", "4", "--epochs", "3"]), status: 0,
                ["resuming with batch size 4 (was 8)"]),
            FieldCase(
                "resume with another momentum value", train("sgd-momentum-half", runs["momentum-value"]!, ["--resume", "--epochs", "3"]),
                status: 0, ["resuming with optimizer.momentum 0.5 (was 0.9)"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    /// A folder locked by another process (this test, holding the flock as a running `train`
    /// would) refuses a second `train` naming the holder's pid; readers do not take the lock.
    func testLockedFolderRows() throws {
        let locked = try copy("adam", as: "locked")
        let separate = path("separate-checkpoints")
        try FileManager.default.copyItem(atPath: locked + "/checkpoints", toPath: separate)
        let pid = getpid()
        let holders = [try LifecycleFixture.holdLock(on: locked), try LifecycleFixture.holdLock(on: separate)]
        defer { holders.forEach { close($0) } }
        let file = path("a-file")
        try "not a folder".write(toFile: file, atomically: true, encoding: .utf8)
        let rows = [
            FieldCase(
                "--resume on a folder in use", train("adam", locked, ["--resume"]), status: 1,
                ["\(locked): in use by another training run (process \(pid))", "another --run-dir"], unchanged: kept(locked)),
            FieldCase(
                "a new run on a folder in use", train("adam", locked), status: 1, ["in use by another training run (process \(pid))"],
                unchanged: kept(locked)),
            FieldCase(
                "--restart on a folder in use", train("adam", locked, ["--restart"]), status: 1, ["in use by another training run (process \(pid))"],
                unchanged: kept(locked)),
            FieldCase(
                "a checkpoint directory in use", train("adam", path("own-run"), ["--resume", "--checkpoint-dir", separate]), status: 1,
                ["\(separate): in use by another training run (process \(pid))"], unchanged: kept(separate)),
            FieldCase(
                "inspect reads a folder in use", ["inspect", locked + "/checkpoints", "--json"], status: 0, ["\"step\":24"], unchanged: kept(locked)),
            FieldCase(
                "evaluate reads a folder in use", ["evaluate", locked + "/checkpoints", "--data", path("data.csv")], status: 0, ["accuracy"],
                unchanged: kept(locked)),
            FieldCase(
                "report reads a folder in use", ["report", locked, "--output", path("report.html")], status: 0, ["report"], unchanged: kept(locked)),
            FieldCase(
                "a checkpoint directory that is a file", train("adam", path("file-run"), ["--checkpoint-dir", file]), status: 1, ["a-file"],
                unchanged: [file]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }
}
