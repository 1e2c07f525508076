import Foundation
import TestSupport
import XCTest

/// Kills the real `millrace train` with SIGKILL right after it commits a checkpoint (seen in the
/// store's `latest` pointer, which is replaced by rename only after the step directory is
/// complete), resumes it, and compares the final weights byte for byte with an uninterrupted run.
///
/// The kill points are seeded (the seed is printed; set MILLRACE_CRASH_SEED to replay one), and
/// every trial must test something: the kill must land after at least one commit and before the
/// run ends. A run that ends first is not counted; the next trial trains for twice the epochs.
final class CheckpointCrashTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        // 96 rows, 4 features, 3 classes (label = row % 3, features a function of the row).
        var csv = "a,b,c,d,label\n"
        for row in 0..<96 { csv += "\(row % 7),\(row % 5 - 2),\(Double(row) / 10),\((row * 7) % 11),\(row % 3)\n" }
        try csv.write(to: directory.path("data.csv"), atomically: true, encoding: .utf8)
        let pipeline = """
            {"name": "crash", "dataset": {"kind": "csv", "path": "\(directory.path("data.csv").path)", "label_column": "label", "validation_split": 0.25},
             "pipeline": {"batch_size": 8, "threads": 2},
             "model": {"layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 1, "seed": 3}
            """
        try pipeline.write(to: directory.path("pipeline.json"), atomically: true, encoding: .utf8)
    }

    private func arguments(_ name: String, epochs: Int) -> [String] {
        [
            "train", directory.path("pipeline.json").path, "--epochs", "\(epochs)", "--checkpoint-every", "1", "--quiet",
            "--checkpoint-dir", directory.path("\(name)/checkpoints").path, "--run-dir", directory.path("\(name)/run").path,
        ]
    }

    /// The step of the store's committed `latest` checkpoint, or nil before the first commit.
    private func latestStep(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: directory.path("\(name)/checkpoints/latest").path, encoding: .utf8),
            text.hasPrefix("step-")
        else { return nil }
        return Int(text.dropFirst(5))
    }

    /// The store's latest committed checkpoint.
    private func finalState(_ name: String) throws -> (step: Int, model: Data, optimizer: Data) {
        let latest = try CommittedCheckpoint.latest(in: directory.path("\(name)/checkpoints"))
        return (try XCTUnwrap(latest.step, "\(name): latest names \(latest.name)"), latest.model, latest.optimizer)
    }

    func testKilledRightAfterACommitResumesToBitIdenticalWeights() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["MILLRACE_CRASH_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("CheckpointCrashTests seed \(seed) (replay with MILLRACE_CRASH_SEED=\(seed))")
        var state = seed
        func next(_ bound: Int) -> Int {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        var epochs = 2
        var references: [Int: (step: Int, model: Data, optimizer: Data)] = [:]
        var tested = 0
        var attempts = 0
        while tested < 4 {
            attempts += 1
            guard attempts < 12 else { return XCTFail("seed \(seed): too many runs ended before their kill") }
            if references[epochs] == nil {
                let result = try BuiltProducts.run(millrace, arguments("reference-\(epochs)", epochs: epochs))
                XCTAssertEqual(result.status, 0, result.errors)
                references[epochs] = try finalState("reference-\(epochs)")
            }
            let reference = try XCTUnwrap(references[epochs])
            let name = "trial-\(attempts)"
            let target = 1 + next(reference.step - 1)  // a committed step in 1 ..< final
            let process = try BuiltProducts.start(millrace, arguments(name, epochs: epochs))
            var observed: Int?
            // SIGKILL once the target step is committed (the hang guards only bound a stuck run).
            let polled = waitUntil {
                guard process.isRunning else { return true }
                guard let step = latestStep(name), step >= target else { return false }
                observed = step
                kill(process.processIdentifier, SIGKILL)
                return true
            }
            guard polled else {
                BuiltProducts.stop(process)
                return XCTFail("seed \(seed): \(name) neither reached step \(target) nor ended within 120 s (hang guard; stopped)")
            }
            process.waitUntilExit()
            guard process.terminationReason == .uncaughtSignal, let observed, observed < reference.step else {
                print("seed \(seed): run \(name) ended before its kill at step \(target); training \(epochs * 2) epochs next")
                epochs *= 2
                continue
            }
            print("seed \(seed): \(name) killed after the commit of step \(observed) of \(reference.step) (target \(target))")
            let resumed = try BuiltProducts.run(millrace, arguments(name, epochs: epochs) + ["--resume"])
            XCTAssertEqual(resumed.status, 0, "seed \(seed), \(name): \(resumed.errors)")
            let final = try finalState(name)
            XCTAssertEqual(final.step, reference.step, "seed \(seed), \(name)")
            XCTAssertEqual(final.model, reference.model, "seed \(seed), \(name): killed after the commit of step \(observed): weights differ")
            XCTAssertEqual(final.optimizer, reference.optimizer, "seed \(seed), \(name): optimizer state differs")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path("\(name)/checkpoints").path).filter {
                $0.hasPrefix(".tmp-")
            }
            XCTAssertEqual(leftovers, [], "seed \(seed), \(name): temporary directories after the resumed run")
            tested += 1
        }
    }

    func testInspectOfALiveStoreLeavesItsTemporaryDirectoriesAlone() throws {
        let result = try BuiltProducts.run(millrace, arguments("run", epochs: 1))
        XCTAssertEqual(result.status, 0, result.errors)
        let inProgress = directory.path("run/checkpoints/.tmp-step-000000099-7")
        try FileManager.default.createDirectory(at: inProgress, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: inProgress.appendingPathComponent("model.safetensors"))
        let inspected = try BuiltProducts.run(millrace, ["inspect", directory.path("run/checkpoints").path, "--json"])
        XCTAssertEqual(inspected.status, 0, inspected.errors)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: inProgress.appendingPathComponent("model.safetensors").path),
            "inspect removed a commit in progress")
    }
}
