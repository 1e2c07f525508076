import Foundation
import TestSupport
import XCTest

/// Data-parallel training under Open MPI's `mpirun` (oversubscribed, so 4 ranks run on 2 cores),
/// driving the built `millrace`: the final weights of 1, 2 and 4 ranks and a plain process are
/// the same bytes, a checkpoint of N ranks resumes on M, a killed rank ends the job, and a rank
/// that cannot read its data names itself. Needs `mpirun` (installed by .ci/setup).
final class DataParallelTests: XCTestCase {
    let millrace = BuiltProducts.executable("millrace")
    var directory: TemporaryDirectory!
    var mpirun = ""

    override func setUpWithError() throws {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/mpirun" }
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("mpirun is not installed (bash .ci/setup installs Open MPI)")
        }
        mpirun = found
        directory = try TemporaryDirectory()
        // 100 rows, 4 features, 3 classes; a quarter held out by the row-hash split.
        var csv = "a,b,c,d,label\n"
        for row in 0..<100 { csv += "\(row % 7),\(row % 5 - 2),\(Double(row) / 10),\((row * 7) % 11),\(row % 3)\n" }
        try csv.write(to: directory.path("data.csv"), atomically: true, encoding: .utf8)
        // Batches of 16 in chunks of 4 (--gradient-chunk 4 below): 4 chunks per batch, and a short
        // last batch whose chunks do not divide evenly among the ranks. Dropout draws per chunk.
        try pipeline(data: "data.csv").write(to: directory.path("pipeline.json"), atomically: true, encoding: .utf8)
    }

    private func pipeline(data: String) -> String {
        """
        {"name": "parallel", "dataset": {"kind": "csv", "path": "\(directory.path(data).path)", "label_column": "label", "validation_split": 0.25},
         "pipeline": {"batch_size": 16, "threads": 1},
         "model": {"layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dropout", "probability": 0.2}, {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "seed": 5,
         "checkpoint": {"keep_last": 1}}
        """
    }

    /// `millrace train` in `name`'s directories, on `ranks` ranks under mpirun (nil: a plain process).
    func train(_ name: String, ranks: Int?, _ extra: [String], pipeline: String = "pipeline.json", chunk: Int? = 4) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let arguments = trainArguments(name, extra, pipeline: pipeline, chunk: chunk)
        guard let ranks else { return try BuiltProducts.run(millrace, arguments) }
        return try BuiltProducts.run(mpirun, launcher(ranks) + [millrace] + arguments)
    }

    /// The arguments of `millrace train` in `name`'s directories, with `--gradient-chunk 4` (nil: the default chunk).
    func trainArguments(_ name: String, _ extra: [String], pipeline: String = "pipeline.json", chunk: Int? = 4) -> [String] {
        ["train", directory.path(pipeline).path] + (chunk.map { ["--gradient-chunk", "\($0)"] } ?? []) + [
            "--quiet", "--json", "--checkpoint-dir", directory.path("\(name)/checkpoints").path, "--run-dir", directory.path("\(name)/run").path,
        ] + extra
    }

    func launcher(_ ranks: Int) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)"]
    }

    /// The latest committed checkpoint of `name`'s run.
    func latest(_ name: String) throws -> CommittedCheckpoint {
        try CommittedCheckpoint.latest(in: directory.path("\(name)/checkpoints"))
    }

    func summary(_ output: String) throws -> [String: Any] {
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("{") }
        XCTAssertEqual(lines.count, 1, "exactly one JSON object (rank 0's): \(output)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
    }

    /// Trains `name` on `ranks` ranks (the other arguments as `train`'s) and checks that it
    /// succeeds, that its latest checkpoint has the step, weights (with any running statistics)
    /// and optimizer state of `reference` (the plain run's) byte for byte, and that its summary
    /// names `ranks`. Returns the summary.
    @discardableResult
    func assertPlainRunsBytes(
        _ reference: CommittedCheckpoint, _ name: String, ranks: Int, _ extra: [String] = [], pipeline: String = "pipeline.json", chunk: Int? = 4
    ) throws -> [String: Any] {
        let run = try train(name, ranks: ranks, extra, pipeline: pipeline, chunk: chunk)
        XCTAssertEqual(run.status, 0, run.errors)
        let state = try latest(name)
        XCTAssertEqual(state.name, reference.name, "\(ranks) ranks: a different step")
        XCTAssertEqual(state.model, reference.model, "\(ranks) ranks: weights differ from the plain run's")
        XCTAssertEqual(state.optimizer, reference.optimizer, "\(ranks) ranks: optimizer state differs")
        let result = try summary(run.output)
        XCTAssertEqual(result["ranks"] as? Int, ranks)
        return result
    }

    func testOneTwoAndFourRanksGiveThePlainRunsBytes() throws {
        let plain = try train("plain", ranks: nil, [])
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        let plainSummary = try summary(plain.output)
        XCTAssertEqual(reference.name, "step-000000012")  // the row-hash split keeps 81-96 rows: 6 batches of 16 an epoch
        for ranks in [1, 2, 4] {
            let result = try assertPlainRunsBytes(reference, "ranks\(ranks)", ranks: ranks)
            XCTAssertEqual(result["final_loss"] as? Double, plainSummary["final_loss"] as? Double)
            XCTAssertEqual(result["final_validation_accuracy"] as? Double, plainSummary["final_validation_accuracy"] as? Double)
        }
        // Each layer's gather started after the backward pass rather than during it: the same bytes.
        let blocking = try train("blocking", ranks: 2, ["--no-overlap-exchange"])
        XCTAssertEqual(blocking.status, 0, blocking.errors)
        XCTAssertEqual(try latest("blocking").model, reference.model, "2 ranks without overlap: weights differ")
    }

    /// Launched as on several machines, from a hostfile (here one line, `localhost slots=4`, so 4
    /// ranks need no --oversubscribe): the same bytes as the plain run.
    func testHostfileLaunchGivesThePlainRunsBytes() throws {
        try "localhost slots=4\n".write(to: directory.path("hostfile.txt"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [])
        XCTAssertEqual(plain.status, 0, plain.errors)
        let arguments =
            ["--allow-run-as-root", "--hostfile", directory.path("hostfile.txt").path, "-np", "4", millrace] + trainArguments("hosts", [])
        let run = try BuiltProducts.run(mpirun, arguments)
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(try latest("hosts").model, try latest("plain").model, "4 ranks from a hostfile: weights differ from the plain run's")
        XCTAssertEqual(try summary(run.output)["ranks"] as? Int, 4)
    }

    /// No `--gradient-chunk` anywhere: a plain run and 2 and 3 ranks use the default chunk (8
    /// samples) and give the same bytes. Batches of 32 are 4 chunks: 2 ranks own a subtree each;
    /// of 3 ranks, two own one chunk and the third a two-chunk subtree.
    func testDefaultChunkGivesThePlainRunsBytesOnTwoAndThreeRanks() throws {
        let text = pipeline(data: "data.csv").replacingOccurrences(of: #""batch_size": 16"#, with: #""batch_size": 32"#)
        XCTAssertTrue(text.contains(#""batch_size": 32"#))
        try text.write(to: directory.path("default.json"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [], pipeline: "default.json", chunk: nil)
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(try summary(plain.output)["gradient_chunk"] as? Int, 8)
        for ranks in [2, 3] {
            try assertPlainRunsBytes(reference, "default\(ranks)", ranks: ranks, pipeline: "default.json", chunk: nil)
        }
    }

    /// Dense → batchnorm → relu → dense: each batch normalisation uses the statistics of the
    /// whole global batch (synchronised across ranks), so the weights and the running statistics
    /// (saved in model.safetensors) of a plain run with --gradient-chunk 4 and of 2 and 4 ranks
    /// are the same bytes. (`SynchronizedBatchNormTests` checks them against a float64 reference.)
    func testBatchNormOnOneTwoAndFourRanksGivesThePlainRunsBytes() throws {
        let layers = #"[{"type": "dense", "units": 8}, {"type": "batchnorm"}, {"type": "relu"}, {"type": "dense"}]"#
        var text = pipeline(data: "data.csv").replacingOccurrences(
            of: #"[{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dropout", "probability": 0.2}, {"type": "dense"}]"#, with: layers)
        // Batches of 12 of the 81 training rows: the last batch of 9 is chunks of 4, 4 and 1, and a
        // chunk of one sample has no batch statistics of its own.
        text = text.replacingOccurrences(of: #""batch_size": 16"#, with: #""batch_size": 12"#)
        XCTAssertTrue(text.contains("batchnorm") && text.contains(#""batch_size": 12"#))
        try text.write(to: directory.path("batchnorm.json"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [], pipeline: "batchnorm.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(reference.name, "step-000000014")  // 7 batches an epoch
        XCTAssertNotNil(reference.model.range(of: Data("1.running_var".utf8)), "the running statistics are saved")
        for ranks in [2, 4] {
            let result = try assertPlainRunsBytes(reference, "bn\(ranks)", ranks: ranks, pipeline: "batchnorm.json")
            XCTAssertEqual(result["final_loss"] as? Double, try summary(plain.output)["final_loss"] as? Double)
        }
    }

    func testCheckpointOfTwoRanksResumesOnFourAndOnOne() throws {
        let plain = try train("plain", ranks: nil, [])
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        let first = try train("two", ranks: 2, ["--epochs", "1"])
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertEqual(try latest("two").name, "step-000000006")
        try FileManager.default.copyItem(at: directory.path("two"), to: directory.path("one"))
        let four = try train("two", ranks: 4, ["--resume"])
        XCTAssertEqual(four.status, 0, four.errors)
        XCTAssertEqual(try latest("two").model, reference.model, "2 -> 4 ranks")
        let one = try train("one", ranks: nil, ["--resume"])
        XCTAssertEqual(one.status, 0, one.errors)
        XCTAssertEqual(try latest("one").model, reference.model, "2 ranks -> a plain process")
        XCTAssertEqual(try latest("one").optimizer, reference.optimizer)
    }

    /// SIGKILL to rank 1 right after a mid-epoch checkpoint commits: mpirun ends the job with a
    /// non-zero status and names rank 1; the checkpoint resumes on 3 ranks to the plain run's bytes.
    func testKilledRankEndsTheJobAndItsCheckpointResumes() throws {
        let epochs = ["--epochs", "60", "--checkpoint-every", "7"]
        let plain = try train("plain", ranks: nil, epochs)
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        let errors = directory.path("killed.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let arguments =
            launcher(2) + [
                millrace, "train", directory.path("pipeline.json").path, "--gradient-chunk", "4", "--quiet",
                "--checkpoint-dir", directory.path("killed/checkpoints").path, "--run-dir", directory.path("killed/run").path,
            ] + epochs
        let process = try BuiltProducts.start(mpirun, arguments, standardError: try FileHandle(forWritingTo: errors))
        let latestFile = directory.path("killed/checkpoints/latest").path
        // SIGKILL to rank 1 once a checkpoint is committed (the hang guards only bound a stuck run).
        var rank1: Int32?
        let polled = waitUntil {
            guard process.isRunning else { return true }
            guard FileManager.default.fileExists(atPath: latestFile), let pid = rankProcess(1, of: process.processIdentifier) else { return false }
            rank1 = pid
            kill(pid, SIGKILL)
            return true
        }
        if !polled { BuiltProducts.stop(process) }
        let killed = try XCTUnwrap(rank1, "the run ended, or hung, before a checkpoint was committed and rank 1 killed")
        XCTAssertTrue(BuiltProducts.wait(for: process), "mpirun still ran 120 s after rank 1 (pid \(killed)) was killed (hang guard; stopped)")
        XCTAssertNotEqual(process.terminationStatus, 0)
        let text = try String(contentsOf: errors, encoding: .utf8)
        XCTAssertTrue(text.contains("process rank 1 "), text)
        let resumed = try train("killed", ranks: 3, epochs + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.errors)
        let state = try latest("killed")
        XCTAssertEqual(state.name, reference.name)
        XCTAssertEqual(state.model, reference.model, "killed on 2 ranks, resumed on 3")
    }

    /// Ctrl-C on mpirun (SIGINT to mpirun): mpirun sends the ranks SIGTERM, they agree to stop
    /// after the same step, rank 0 saves a checkpoint, and every rank exits 130 after MPI_Finalize;
    /// mpirun itself exits 1, because Open MPI 4.1 records status 1 the moment it gets SIGINT,
    /// before the ranks stop, and never replaces a non-zero status (ORTE_UPDATE_EXIT_STATUS in
    /// orte/runtime/orte_globals.h). The checkpoint holds exactly the logged steps, and resuming it
    /// on 2 ranks or in a plain process ends on the bytes of an uninterrupted run.
    func testCtrlCOnMpirunSavesACheckpointThatResumesToTheUninterruptedBytes() throws {
        let step = try interrupt(with: SIGINT, expecting: 1, name: "stopped", sigkillTimeout: 15)
        let epochs = ["--epochs", "\(step / 6 + 2)"]  // 6 batches an epoch: the run ends after the interrupted epoch
        let plain = try train("plain", ranks: nil, epochs, pipeline: "logged.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(reference.name, String(format: "step-%09d", (step / 6 + 2) * 6))
        try FileManager.default.copyItem(at: directory.path("stopped"), to: directory.path("stopped-plain"))
        let two = try train("stopped", ranks: 2, epochs + ["--resume"], pipeline: "logged.json")
        XCTAssertEqual(two.status, 0, two.errors)
        XCTAssertEqual(try latest("stopped").model, reference.model, "interrupted on 2 ranks, resumed on 2")
        XCTAssertEqual(try latest("stopped").optimizer, reference.optimizer)
        let one = try train("stopped-plain", ranks: nil, epochs + ["--resume"], pipeline: "logged.json")
        XCTAssertEqual(one.status, 0, one.errors)
        XCTAssertEqual(try latest("stopped-plain").model, reference.model, "interrupted on 2 ranks, resumed in a plain process")
    }

    /// SIGUSR1 to mpirun: forwarded to the ranks as it is, which stop the same way; mpirun then
    /// reports the ranks' exit status, 130.
    func testUserSignalOnMpirunStopsTheRunAndMpirunExits130() throws {
        _ = try interrupt(with: SIGUSR1, expecting: 130, name: "usr1")
    }

    /// Ctrl-C (SIGINT) on `scripts/mpirun.sh`, the wrapper that runs mpirun in a session of its own
    /// and turns SIGINT into SIGUSR1 for it: the checkpoint is saved and the wrapper exits 130, as a
    /// plain process does on Ctrl-C.
    func testCtrlCOnTheMpirunWrapperSavesACheckpointAndExits130() throws {
        let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/mpirun.sh")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script.path), script.path)
        _ = try interrupt(with: SIGINT, expecting: 130, name: "wrapped", launcherPath: script.path)
    }

    /// Starts a long 2-rank run that logs every step, sends `signal` to mpirun (or the launcher at
    /// `launcherPath`, which takes mpirun's arguments) once metrics.jsonl shows 3 steps, and checks
    /// mpirun's exit status and that the saved checkpoint's step is the number of steps logged.
    /// Returns that step.
    ///
    /// `sigkillTimeout` sets mpirun's `odls_base_sigkill_timeout` (default 1 s). When mpirun itself
    /// ends a job (on SIGINT, or once a rank exits non-zero) it sends the ranks SIGCONT, sleeps
    /// that long, sends SIGTERM, sleeps that long again and sends SIGKILL, and it sleeps both times
    /// even when the ranks exit sooner (orte/mca/odls/base/odls_base_default_fns.c in Open MPI
    /// 4.1): a run on SIGINT costs twice the timeout, and rank 0 has one timeout after the SIGTERM
    /// to commit its checkpoint. Only SIGINT needs a longer one. On SIGUSR1 (also what
    /// scripts/mpirun.sh sends) the ranks stop by themselves and leave MPI_Finalize, whose fence
    /// waits for rank 0's commit, before the first one exits, so mpirun's SIGTERM comes too late to
    /// matter there and the default keeps that wait at 2 s.
    private func interrupt(
        with signal: Int32, expecting status: Int32, name: String, launcherPath: String? = nil, sigkillTimeout: Int? = nil
    ) throws -> Int {
        let text = pipeline(data: "data.csv").replacingOccurrences(of: #""epochs": 2,"#, with: #""epochs": 2, "logging": {"every_steps": 1},"#)
        XCTAssertTrue(text.contains("every_steps"))
        try text.write(to: directory.path("logged.json"), atomically: true, encoding: .utf8)
        let errors = directory.path("\(name).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        // Enough epochs that the ranks, which train on through mpirun's first sleep, cannot finish.
        let epochs = 50_000
        let arguments =
            launcher(2) + (sigkillTimeout.map { ["--mca", "odls_base_sigkill_timeout", "\($0)"] } ?? []) + [
                millrace, "train", directory.path("logged.json").path, "--gradient-chunk", "4", "--quiet", "--epochs", "\(epochs)",
                "--checkpoint-dir", directory.path("\(name)/checkpoints").path, "--run-dir", directory.path("\(name)/run").path,
            ]
        let process = try BuiltProducts.start(launcherPath ?? mpirun, arguments, standardError: try FileHandle(forWritingTo: errors))
        let metrics = directory.path("\(name)/run/metrics.jsonl")
        func loggedSteps() -> Int {
            let text = (try? String(contentsOf: metrics, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains(#""kind":"step""#) }.count
        }
        // The hang guards only bound a stuck run.
        let started = waitUntil { loggedSteps() >= 3 || !process.isRunning }
        XCTAssertTrue(started && process.isRunning, "no 3 steps logged, or the run ended")
        kill(process.processIdentifier, signal)
        let stopped = BuiltProducts.wait(for: process)
        let output = try String(contentsOf: errors, encoding: .utf8)
        XCTAssertTrue(stopped, "mpirun still ran 120 s after the signal (hang guard; stopped):\n\(output)")
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, status, output)
        let state = try latest(name)
        let logged = loggedSteps()
        XCTAssertGreaterThanOrEqual(logged, 3)
        XCTAssertLessThan(logged, epochs * 6, "the run was not interrupted")
        XCTAssertEqual(state.name, String(format: "step-%09d", logged), "the checkpoint holds the steps logged")
        return logged
    }

    /// A row that cannot be parsed: the same error as a plain process, prefixed with the rank.
    func testRankThatCannotReadItsDataNamesItself() throws {
        var csv = try String(contentsOf: directory.path("data.csv"), encoding: .utf8)
        csv += "1,2,three,4,0\n"
        try csv.write(to: directory.path("bad.csv"), atomically: true, encoding: .utf8)
        try pipeline(data: "bad.csv").write(to: directory.path("pipeline.json"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [])
        XCTAssertEqual(plain.status, 1, plain.errors)
        let message = try XCTUnwrap(plain.errors.split(separator: "\n").first { $0.hasPrefix("error: ") }, plain.errors)
        let parallel = try train("parallel", ranks: 2, [])
        XCTAssertNotEqual(parallel.status, 0)
        let named = parallel.errors.split(separator: "\n").filter { $0.hasSuffix(message) && $0.hasPrefix("rank ") }
        XCTAssertFalse(named.isEmpty, "no line 'rank r of 2: \(message)' in:\n\(parallel.errors)")
        XCTAssertTrue(named.allSatisfy { $0 == "rank 0 of 2: \(message)" || $0 == "rank 1 of 2: \(message)" }, "\(named)")
    }

    /// The child of `launcher` whose environment says it is MPI rank `rank`.
    private func rankProcess(_ rank: Int, of launcher: Int32) -> Int32? {
        guard let children = try? String(contentsOfFile: "/proc/\(launcher)/task/\(launcher)/children", encoding: .utf8) else { return nil }
        for child in children.split(separator: " ").compactMap({ Int32($0) }) {
            guard let environment = FileManager.default.contents(atPath: "/proc/\(child)/environ") else { continue }
            if environment.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
                return child
            }
        }
        return nil
    }
}
