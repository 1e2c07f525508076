import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Signals, a second run on the same folder, a full or closed standard error, and a full disk.
/// Every signal is sent after a committed checkpoint is seen (the run is training), never after
/// a sleep.
extension FieldLifecycleTests {
    /// The steps metrics.jsonl logged (one line per step in these pipelines).
    private func loggedSteps(_ run: String) -> Int {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains(#""kind":"step""#) }.count
    }

    /// Starts `train adam` for `epochs` epochs into `run` and waits until it has committed a checkpoint.
    private func startTraining(_ run: String, epochs: Int, errors: String? = nil) throws -> Process {
        let handle: FileHandle
        if let errors {
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        } else {
            handle = .nullDevice
        }
        let process = try BuiltProducts.start(
            millrace, ["train", path("adam.json"), "--run-dir", run, "--epochs", "\(epochs)", "--quiet"], standardError: handle)
        let committed = waitUntil { (try? CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints"))) != nil || !process.isRunning }
        XCTAssertTrue(committed && process.isRunning, "no checkpoint committed, or the run ended before the signal")
        return process
    }

    /// SIGTERM, SIGHUP and SIGUSR1 stop a run as Ctrl-C does: the last step taken is saved, the
    /// report written, the exit status is 128 + signal, and `--resume` ends with the bytes of an
    /// uninterrupted run.
    func testSignalsSaveTheLastStepAndResumeToTheUninterruptedBytes() throws {
        let epochs = 100  // 1,200 steps: seconds of training after the first commit
        let reference = path("reference")
        let finished = try BuiltProducts.run(millrace, ["train", path("adam.json"), "--run-dir", reference, "--epochs", "\(epochs)", "--quiet"])
        XCTAssertEqual(finished.status, 0, finished.errors)
        let expected = try CommittedCheckpoint.latest(in: URL(fileURLWithPath: reference + "/checkpoints"))
        XCTAssertEqual(expected.step, 12 * epochs)
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGHUP, 129), (SIGUSR1, 138)] {
            let run = path("signal-\(signal)")
            let process = try startTraining(run, epochs: epochs, errors: path("signal-\(signal).err"))
            kill(process.processIdentifier, signal)
            XCTAssertTrue(BuiltProducts.wait(for: process), "signal \(signal): still running 120 s later (hang guard)")
            XCTAssertEqual(process.terminationReason, .exit)
            XCTAssertEqual(process.terminationStatus, status, "signal \(signal)")
            let saved = try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints"))
            let logged = loggedSteps(run)
            XCTAssertEqual(saved.step, logged, "signal \(signal): the checkpoint holds every step taken")
            XCTAssertLessThan(logged, 12 * epochs, "signal \(signal): the run was not interrupted")
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/report.html"), "signal \(signal): no report")
            let resumed = try BuiltProducts.run(
                millrace, ["train", path("adam.json"), "--run-dir", run, "--epochs", "\(epochs)", "--quiet", "--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.errors)
            let final = try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints"))
            XCTAssertEqual(final.name, expected.name)
            XCTAssertEqual(final.model, expected.model, "signal \(signal): resumed weights differ from the uninterrupted run's")
            XCTAssertEqual(final.optimizer, expected.optimizer, "signal \(signal): resumed optimizer state differs")
        }
    }

    /// A second `train` on a folder a running one holds is refused, naming the first's pid, and
    /// changes nothing; the first goes on and stops normally.
    func testSecondRunOnTheSameFolderIsRefusedWhileTheFirstHoldsIt() throws {
        let run = path("shared-run")
        let first = try startTraining(run, epochs: 1_000)
        defer { if first.isRunning { BuiltProducts.stop(first) } }
        let message = "\(run): in use by another training run (process \(first.processIdentifier))"
        for extra in [["--resume"], [], ["--restart"]] {
            let second = try BuiltProducts.run(millrace, ["train", path("adam.json"), "--run-dir", run, "--epochs", "1000"] + extra)
            XCTAssertEqual(second.status, 1, "\(extra): \(second.errors)")
            XCTAssertTrue(second.errors.contains(message), "\(extra): \(second.errors)")
            XCTAssertEqual(second.errors.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, second.errors)
            XCTAssertTrue(first.isRunning, "the first run was disturbed")
        }
        kill(first.processIdentifier, SIGTERM)
        XCTAssertTrue(BuiltProducts.wait(for: first))
        XCTAssertEqual(first.terminationStatus, 143)
        XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints")).step, loggedSteps(run))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("checkpoints.old") }, [])
    }

    /// Standard error on a full device, on a pipe nobody reads, or closed at start: the run goes
    /// on to the end and its files are complete (no log line lands in them).
    func testFullOrClosedStandardErrorNeverStopsTheRun() throws {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let cases: [(String, (String) throws -> Process)] = [
            (
                "2>/dev/full",
                { run in
                    try BuiltProducts.start(
                        self.millrace, self.verboseTrain(run), standardError: try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full")))
                }
            ),
            (
                "a pipe whose reader has gone",
                { run in
                    try BuiltProducts.start(
                        self.millrace, self.verboseTrain(run), standardOutput: pipe.fileHandleForWriting, standardError: pipe.fileHandleForWriting)
                }
            ),
            (
                "1>&- 2>&-",
                { run in
                    try BuiltProducts.start("/bin/sh", ["-c", #"exec "$0" "$@" 1>&- 2>&-"#, self.millrace] + self.verboseTrain(run) + ["--json"])
                }
            ),
        ]
        for (name, start) in cases {
            let run = path("stderr-\(cases.firstIndex { $0.0 == name }!)")
            let process = try start(run)
            XCTAssertTrue(BuiltProducts.wait(for: process), "\(name): hang guard")
            XCTAssertEqual(process.terminationReason, .exit, name)
            XCTAssertEqual(process.terminationStatus, 0, name)
            XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints")).step, 24, name)
            let inspected = try BuiltProducts.run(millrace, ["inspect", run + "/checkpoints", "--json"])
            XCTAssertEqual(inspected.status, 0, "\(name): \(inspected.errors)")
            XCTAssertEqual(loggedSteps(run), 24, name)
            let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            XCTAssertTrue(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "\(name): a line is not JSON")
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/configuration.json"))), name)
            // Released at the end (the lock file is removed with it): no log line went into it or any other file.
            XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/.lock"), name)
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/report.html"), name)
        }
    }

    private func verboseTrain(_ run: String) -> [String] {
        ["train", path("adam.json"), "--run-dir", run, "--verbose"]
    }

    /// A checkpoint write that hits the file-size limit (RLIMIT_FSIZE, set by `prlimit` in the
    /// child) ends the run with one disk-full line, exit 1, and the previous checkpoint intact.
    func testCheckpointWriteOverTheFileSizeLimitKeepsThePreviousCheckpoint() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            throw XCTSkip("prlimit is not installed here: the file-size limit cannot be set for the child alone")
        }
        let run = path("limited")
        let first = try BuiltProducts.run(millrace, ["train", path("big.json"), "--run-dir", run, "--epochs", "1", "--quiet"])
        XCTAssertEqual(first.status, 0, first.errors)
        let good = run + "/checkpoints/step-000000012"
        let before = TreeSnapshot(of: good)
        XCTAssertGreaterThan(try FileManager.default.attributesOfItem(atPath: good + "/model.safetensors")[.size] as? Int ?? 0, 100_000)
        let limited = try BuiltProducts.run(
            "/usr/bin/prlimit", ["--fsize=100000", millrace, "train", path("big.json"), "--run-dir", run, "--epochs", "2", "--resume", "--quiet"])
        XCTAssertEqual(limited.status, 1, limited.errors)
        let errorLines = limited.errors.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errorLines.count, 1, limited.errors)
        XCTAssertTrue(limited.errors.contains("File too large") && limited.errors.contains("the disk is full"), limited.errors)
        XCTAssertEqual(TreeSnapshot(of: good), before)
        XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints")).step, 12)
        let inspected = try BuiltProducts.run(millrace, ["inspect", run + "/checkpoints", "--json"])
        XCTAssertEqual(inspected.status, 0, inspected.errors)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.hasPrefix(".tmp-") }, [])
    }

    /// A checkpoint folder on a small tmpfs that holds one checkpoint but not two: the second
    /// save fails with the disk-full line and exit 1, and the first stays loadable.
    func testCheckpointWriteOnAFullDiskKeepsThePreviousCheckpoint() throws {
        let mount = path("small-disk")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try BuiltProducts.run("/bin/mount", ["-t", "tmpfs", "-o", "size=600k", "tmpfs", mount])
        guard mounted.status == 0 else {
            print("skipped: cannot mount a tmpfs here (\(mounted.errors.trimmingCharacters(in: .whitespacesAndNewlines)))")
            throw XCTSkip("cannot mount a tmpfs: \(mounted.errors)")
        }
        defer { _ = try? BuiltProducts.run("/bin/umount", [mount]) }
        let run = path("full-disk")
        let result = try BuiltProducts.run(
            millrace, ["train", path("big.json"), "--run-dir", run, "--checkpoint-dir", mount + "/checkpoints", "--checkpoint-every", "1", "--quiet"])
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertEqual(result.errors.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, result.errors)
        XCTAssertTrue(result.errors.contains("No space left on device") && result.errors.contains("the disk is full"), result.errors)
        XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: mount + "/checkpoints")).step, 1)
        let inspected = try BuiltProducts.run(millrace, ["inspect", mount + "/checkpoints", "--json"])
        XCTAssertEqual(inspected.status, 0, inspected.errors)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mount + "/checkpoints").filter { $0.hasPrefix(".tmp-") }, [])
    }
}

extension FieldLifecycleTests {
    /// SIGTERM and SIGHUP on `scripts/mpirun.sh` (what Slurm or `timeout` send the job's
    /// script): the ranks save after the same step and the wrapper exits 143 and 129.
    func testTerminatingTheMpirunWrapperSavesAndExits128PlusTheSignal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else { throw XCTSkip("mpirun is not installed") }
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/mpirun.sh").path
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGHUP, 129)] {
            let run = path("wrapped-\(signal)")
            let process = try BuiltProducts.start(
                script,
                [
                    "--allow-run-as-root", "--oversubscribe", "-np", "2", millrace, "train", path("adam.json"), "--run-dir", run, "--epochs", "50000",
                    "--quiet",
                ]
            )
            let committed = waitUntil {
                (try? CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints"))) != nil || !process.isRunning
            }
            XCTAssertTrue(committed && process.isRunning, "no checkpoint committed, or the job ended")
            kill(process.processIdentifier, signal)
            XCTAssertTrue(BuiltProducts.wait(for: process), "signal \(signal): the job still ran 120 s later (hang guard)")
            XCTAssertEqual(process.terminationStatus, status, "signal \(signal)")
            let saved = try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints"))
            let logged = (try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)).split(separator: "\n").filter {
                $0.contains(#""kind":"step""#)
            }.count
            XCTAssertEqual(saved.step, logged, "signal \(signal): the checkpoint holds every step taken")
        }
    }
}

extension FieldLifecycleTests {
    /// A SIGTERM while the loader waits for a shard that a stalled server never sends: the wait
    /// is woken, the last step taken is saved, and the run exits 143 (before, it waited for a batch
    /// that might never come). The signal is sent once every step the served shards allow is
    /// logged and the stalled request has arrived: the run can then only be waiting.
    func testSignalWhileTheLoaderWaitsForAStalledServerSaves() throws {
        let packed = path("packed")
        let packing = try BuiltProducts.run(millrace, ["pack", path("data.csv"), "--output", packed, "--shard-size", "1KB"])
        XCTAssertEqual(packing.status, 0, packing.errors)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: packed).filter { $0.hasSuffix(".mrshard") }.count, 4)
        let manifest = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: packed + "/manifest.json"))) as? [String: Any])
        let shards = try XCTUnwrap(manifest["shards"] as? [[String: Any]])
        // The steps the first three shards (in order: no shuffle) fill with batches of 8. (With two,
        // the stager holds the second back until the third is staged, which never happens.)
        let steps = shards.prefix(3).map { $0["samples"] as? Int ?? 0 }.reduce(0, +) / 8
        XCTAssertGreaterThan(steps, 1)
        let server = try StallingHTTPServer(directory: packed, servedShards: 3)
        defer { server.stop() }
        let pipeline = try String(contentsOfFile: path("adam.json"), encoding: .utf8).replacingOccurrences(
            of: #""threads": 2}"#, with: #""threads": 2, "shuffle": false, "window_chunks": 1}"#)
        XCTAssertTrue(pipeline.contains("window_chunks"))
        try pipeline.write(toFile: path("stalled.json"), atomically: true, encoding: .utf8)
        let run = path("stalled-run")
        let errors = path("stalled.err")
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = try BuiltProducts.start(
            millrace,
            ["train", path("stalled.json"), "--data", "http://127.0.0.1:\(server.port)/manifest.json", "--run-dir", run, "--checkpoint-every", "1"],
            standardError: try FileHandle(forWritingTo: URL(fileURLWithPath: errors)))
        // The steps the three served shards allow, then the fourth shard never comes.
        let waiting = waitUntil { (loggedStepCount(run) == steps && server.stalledRequests >= 1) || !process.isRunning }
        XCTAssertTrue(
            waiting && process.isRunning, "the run did not reach the stalled shard: \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        kill(process.processIdentifier, SIGTERM)
        XCTAssertTrue(BuiltProducts.wait(for: process), "the run still waited 120 s after SIGTERM (hang guard)")
        let output = try String(contentsOfFile: errors, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 143, output)
        XCTAssertTrue(output.contains("interrupted by SIGTERM: checkpoint saved"), output)
        XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: run + "/checkpoints")).step, steps)
        XCTAssertEqual(loggedStepCount(run), steps, output)
    }

    /// The steps metrics.jsonl logged.
    func loggedStepCount(_ run: String) -> Int {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains(#""kind":"step""#) }.count
    }
}
