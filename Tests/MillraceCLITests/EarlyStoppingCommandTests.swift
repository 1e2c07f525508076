import Foundation
import TestSupport
import XCTest

/// `millrace train` with an `early_stopping` section on the shipped digits: the run stops after
/// the epoch the rule names, says why and exits 0; killed with SIGKILL after a committed
/// checkpoint and resumed, it stops at the same step with the same bytes of weights.
///
/// The rule is deterministic whatever the figures: a `min_delta` of 1000 no validation loss can
/// beat, so epoch 1 is the best, epochs 2 and 3 do not improve, and patience 2 stops after epoch 3.
final class EarlyStoppingCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        let pipeline = """
            {"name": "stopping", "dataset": {"kind": "image-folder", "path": "\(Fixtures.repositoryRoot.path)/datasets/digits", "channels": "gray",
             "validation_split": 0.2},
             "pipeline": {"batch_size": 32, "threads": 2},
             "model": {"layers": [{"type": "dense", "units": 32}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.003}, "epochs": 10, "seed": 4,
             "checkpoint": {"keep_last": 1000},
             "early_stopping": {"metric": "validation_loss", "patience": 2, "min_delta": 1000}}
            """
        try pipeline.write(to: directory.path("pipeline.json"), atomically: true, encoding: .utf8)
    }

    private func arguments(_ name: String, _ extra: [String] = []) -> [String] {
        ["train", directory.path("pipeline.json").path, "--run-dir", directory.path(name).path] + extra
    }

    /// The step of the store's committed `latest` checkpoint, or nil before the first commit.
    private func latestStep(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: directory.path("\(name)/checkpoints/latest").path, encoding: .utf8),
            text.hasPrefix("step-")
        else { return nil }
        return Int(text.dropFirst(5))
    }

    func testTheRunStopsAfterTheEpochTheRuleNamesAndSaysWhy() throws {
        let result = try BuiltProducts.run(millrace, arguments("run", ["--json"]))
        XCTAssertEqual(result.status, 0, result.errors)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        XCTAssertEqual(summary["epochs"] as? Int, 3)
        XCTAssertEqual(summary["interrupted"] as? Bool, false)
        let steps = try XCTUnwrap(summary["steps"] as? Int)
        XCTAssertEqual(steps % 3, 0, "three whole epochs")
        XCTAssertEqual(latestStep("run"), steps, "the last step is saved")
        let reason = try XCTUnwrap(summary["stop_reason"] as? String)
        XCTAssertTrue(reason.hasPrefix("early stopping: validation loss did not improve by 1000 for 2 epochs; best "), reason)
        XCTAssertTrue(reason.hasSuffix(" at epoch 1"), reason)
        XCTAssertTrue(result.errors.contains("\(reason); last checkpoint "), result.errors)
        XCTAssertEqual(result.errors.components(separatedBy: "\n").filter { $0.hasPrefix("epoch ") && $0.contains("/10  loss") }.count, 3)

        // Resumed, the stopped run stops again before its first step.
        let again = try BuiltProducts.run(millrace, arguments("run", ["--resume"]))
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.errors.contains(reason), again.errors)
        XCTAssertEqual(latestStep("run"), steps)
    }

    /// Killed once a checkpoint after epoch 1 is committed (early stopping's state then holds
    /// epoch 1 as the best; forgotten, the resumed run would stop an epoch later), and resumed.
    func testAKilledAndResumedRunStopsAtTheSameStepWithTheSameWeights() throws {
        let reference = try BuiltProducts.run(millrace, arguments("reference", ["--json", "--quiet"]))
        XCTAssertEqual(reference.status, 0, reference.errors)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reference.output.utf8)) as? [String: Any])
        let total = try XCTUnwrap(summary["steps"] as? Int)
        let perEpoch = total / 3
        let expected = try CommittedCheckpoint.latest(in: directory.path("reference/checkpoints"))
        XCTAssertEqual(expected.step, total)
        var tested = 0
        for attempt in 1...8 where tested < 2 {
            let name = "trial-\(attempt)"
            let process = try BuiltProducts.start(millrace, arguments(name, ["--checkpoint-every", "1", "--quiet"]))
            var killedAfter: Int?
            // SIGKILL once a step of epoch 2 or 3 is committed (the hang guard only bounds a stuck run).
            let polled = waitUntil {
                guard process.isRunning else { return true }
                guard let step = latestStep(name), step > perEpoch else { return false }
                killedAfter = step
                kill(process.processIdentifier, SIGKILL)
                return true
            }
            guard polled else {
                BuiltProducts.stop(process)
                return XCTFail("\(name) neither passed step \(perEpoch) nor ended within 120 s (hang guard; stopped)")
            }
            process.waitUntilExit()
            guard process.terminationReason == .uncaughtSignal, let killedAfter, killedAfter < total else {
                print("\(name) ended before its kill; trying again")
                continue
            }
            let resumed = try BuiltProducts.run(millrace, arguments(name, ["--checkpoint-every", "1", "--resume", "--json"]))
            XCTAssertEqual(resumed.status, 0, "\(name), killed after step \(killedAfter): \(resumed.errors)")
            let resumedSummary = try JSONSerialization.jsonObject(with: Data(resumed.output.utf8)) as? [String: Any]
            XCTAssertEqual(resumedSummary?["steps"] as? Int, total, "\(name), killed after step \(killedAfter)")
            XCTAssertEqual(resumedSummary?["stop_reason"] as? String, summary["stop_reason"] as? String, name)
            let final = try CommittedCheckpoint.latest(in: directory.path("\(name)/checkpoints"))
            XCTAssertEqual(final.step, total, "\(name), killed after step \(killedAfter)")
            XCTAssertEqual(final.model, expected.model, "\(name), killed after step \(killedAfter): model.safetensors differs")
            XCTAssertEqual(final.optimizer, expected.optimizer, "\(name), killed after step \(killedAfter): optimizer state differs")
            tested += 1
        }
        XCTAssertGreaterThan(tested, 0, "every trial ended before its kill")
    }
}
