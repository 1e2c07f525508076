import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// What a stop says: only what it did. Each run trains from packed data served by a server that
/// stalls after a number of shards, so the moment of the signal is known without a sleep: the
/// run has taken every step the served shards allow and waits for the next one.
extension FieldOutputTests {
    /// Packs `data.csv` into 4 shards and writes `stalled.json` (no shuffle, one shard window),
    /// returning the packed folder and the steps the first `served` shards fill with batches of 8.
    private func stalledFixture(served: Int) throws -> (packed: String, steps: Int) {
        let packed = path("packed-\(served)")
        let packing = try BuiltProducts.run(millrace, ["pack", path("data.csv"), "--output", packed, "--shard-size", "1KB"])
        XCTAssertEqual(packing.status, 0, packing.errors)
        let manifest = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: packed + "/manifest.json"))) as? [String: Any])
        let shards = try XCTUnwrap(manifest["shards"] as? [[String: Any]])
        XCTAssertEqual(shards.count, 4)
        let pipeline = try String(contentsOfFile: path("adam.json"), encoding: .utf8).replacingOccurrences(
            of: #""threads": 2}"#, with: #""threads": 2, "shuffle": false, "window_chunks": 1}"#)
        XCTAssertTrue(pipeline.contains("window_chunks"))
        try pipeline.write(toFile: path("stalled.json"), atomically: true, encoding: .utf8)
        return (packed, shards.prefix(served).map { $0["samples"] as? Int ?? 0 }.reduce(0, +) / 8)
    }

    /// The per-step losses metrics.jsonl logged (every step, in these pipelines).
    private func loggedLosses(_ run: String) -> [Double] {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["kind"] as? String == "step"
            else { return nil }
            return object["loss"] as? Double
        }
    }

    /// Trains `stalled.json` from the server into `run` until it waits for the shard that never
    /// comes after `steps` steps (and, with none, until its callbacks are set up), sends SIGTERM,
    /// and returns the exit status, standard output and standard error.
    private func stopWhileStalled(served: Int, run: String, extra: [String] = []) throws -> (status: Int32, output: String, errors: String) {
        let (packed, steps) = try stalledFixture(served: served)
        let server = try StallingHTTPServer(directory: packed, servedShards: served)
        defer { server.stop() }
        let output = path("\(served).out")
        let errors = path("\(served).err")
        for file in [output, errors] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let process = try BuiltProducts.start(
            millrace,
            ["train", path("stalled.json"), "--data", "http://127.0.0.1:\(server.port)/manifest.json", "--run-dir", run] + extra,
            standardOutput: try FileHandle(forWritingTo: URL(fileURLWithPath: output)),
            standardError: try FileHandle(forWritingTo: URL(fileURLWithPath: errors)))
        // The TensorBoard events file is the last thing made before the run listens for a stop.
        let waiting = waitUntil {
            let events = (try? FileManager.default.contentsOfDirectory(atPath: run + "/tensorboard")) ?? []
            return (loggedLosses(run).count == steps && server.stalledRequests >= 1 && !events.isEmpty) || !process.isRunning
        }
        XCTAssertTrue(
            waiting && process.isRunning, "the run did not reach the stalled shard: \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        kill(process.processIdentifier, SIGTERM)
        XCTAssertTrue(BuiltProducts.wait(for: process), "still running 120 s after SIGTERM (hang guard)")
        return (process.terminationStatus, try String(contentsOfFile: output, encoding: .utf8), try String(contentsOfFile: errors, encoding: .utf8))
    }

    /// A stop before the first step saves nothing and says so: no "checkpoint saved", no step
    /// folder, no made-up loss; the status is still 143.
    func testStopBeforeTheFirstStepSaysNothingWasSaved() throws {
        let run = path("stopped-at-once")
        let result = try stopWhileStalled(served: 0, run: run)
        XCTAssertEqual(result.status, 143, result.errors)
        XCTAssertTrue(result.errors.contains("nothing to save"), result.errors)
        // (A machine that stalls the run for a while between the events file and its listening
        // gives the signal to the earlier path, "before training began", which says as little.)
        if !result.errors.contains("SIGTERM before training began; nothing to save") {
            XCTAssertTrue(
                result.errors.contains("SIGTERM before the first step; nothing to save; the next run starts from the beginning"), result.errors)
            XCTAssertTrue(result.errors.contains("no step taken, so no loss to report"), result.errors)
        }
        XCTAssertFalse(result.errors.contains("checkpoint saved"), result.errors)
        XCTAssertFalse(result.errors.contains("loss 0.0000"), result.errors)
        let saved = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
        XCTAssertEqual(saved.filter { $0.hasPrefix("step-") }, [])
    }

    /// A stop in the middle of an epoch reports the mean loss of the steps taken in it (the
    /// losses metrics.jsonl logged are the truth), in words and in `--json`, never 0.
    func testStopMidEpochReportsTheMeanLossOfTheStepsTaken() throws {
        for json in [false, true] {
            let run = path("stopped-mid-epoch-\(json)")
            let result = try stopWhileStalled(served: 3, run: run, extra: json ? ["--json"] : [])
            XCTAssertEqual(result.status, 143, result.errors)
            let losses = loggedLosses(run)
            XCTAssertGreaterThan(losses.count, 1)
            XCTAssertLessThan(losses.count, 12, "the stop came within the first epoch")
            let mean = losses.reduce(0, +) / Double(losses.count)  // every batch holds 8 samples
            XCTAssertTrue(result.errors.contains("interrupted by SIGTERM: checkpoint saved in"), result.errors)
            XCTAssertFalse(result.errors.contains("loss 0.0000"), result.errors)
            XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints")).step, losses.count)
            if json {
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
                XCTAssertEqual(try XCTUnwrap(object["final_loss"] as? Double), mean, accuracy: 1e-6)
                XCTAssertEqual(object["stopped_epoch_steps"] as? Int, losses.count)
                XCTAssertEqual(object["steps_taken"] as? Int, losses.count)
            } else {
                let expected = String(format: "loss %.4f (mean of the %d step(s) of epoch 1 before the stop)", mean, losses.count)
                XCTAssertTrue(result.errors.contains(expected), "\(expected) missing from:\n\(result.errors)")
            }
        }
    }

    /// `--resume` on a run that has nothing left to train takes no step and says so (no "final
    /// loss 0.0000").
    func testResumingAFinishedRunReportsNoMadeUpLoss() throws {
        let run = path("finished")
        let first = try BuiltProducts.run(millrace, ["train", path("adam.json"), "--run-dir", run, "--quiet"])
        XCTAssertEqual(first.status, 0, first.errors)
        let rows = [
            FieldCase(
                "--resume of a finished run", ["train", path("adam.json"), "--run-dir", run, "--resume"], status: 0,
                ["done: 2 epochs, 24 steps", "no step taken, so no loss to report"]),
            FieldCase(
                "--resume --json of a finished run", ["train", path("adam.json"), "--run-dir", run, "--resume", "--json"], status: 0,
                ["\"final_loss\":null", "\"steps_taken\":0"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }
}
