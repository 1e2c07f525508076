import Checkpoints
import Foundation
import TestSupport
import XCTest

/// Kills a real training process (the hidden `checkpoint-soak` command) with SIGKILL and checks
/// what a restart finds.
final class CheckpointCrashTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")

    private func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: millrace)
        process.arguments = ["checkpoint-soak"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func kill(_ process: Process, after seconds: Double) {
        usleep(UInt32(seconds * 1e6))
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// step -> "saved N indices ..." (the last line for each step wins: a resumed run redoes steps).
    private func steps(inLog path: String) throws -> [Int: String] {
        var lines: [Int: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, let step = Int(fields[1]) else { continue }
            lines[step] = String(fields[2])
        }
        return lines
    }

    func testKilledAtRandomMomentsAlwaysRestartsFromARecentGoodCheckpoint() throws {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<20 {
            let directory = try TemporaryDirectory()
            let store = directory.path("checkpoints").path, log = directory.path("log").path
            let process = try start(["--directory", store, "--steps", "100000", "--every", "1", "--log", log])
            kill(process, after: Double.random(in: 0.05...0.5, using: &generator))
            let lastSaved = ((try? steps(inLog: log)) ?? [:]).values.compactMap { Int($0.split(separator: " ")[1]) }.max() ?? -1
            let reopened = try CheckpointStore(directory: store)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.hasPrefix(".tmp-") }
            XCTAssertEqual(leftovers, [], "trial \(trial): temporary directories survive a restart")
            let loaded = try reopened.loadLatest()
            XCTAssertEqual(reopened.problems, [], "trial \(trial): a committed checkpoint failed to verify")
            if lastSaved > 0 {
                let step = try XCTUnwrap(loaded?.manifest.step, "trial \(trial): nothing loadable after step \(lastSaved) was saved")
                XCTAssertGreaterThanOrEqual(step, lastSaved - 1, "trial \(trial): more than one interval lost")
            }
        }
    }

    func testKillAndResumeEndsBitIdenticalToAnUninterruptedRun() throws {
        let straight = try TemporaryDirectory()
        let result = try BuiltProducts.run(millrace, ["checkpoint-soak", "--directory", straight.path("c").path, "--steps", "150", "--every", "1",
                                                      "--log", straight.path("log").path])
        XCTAssertEqual(result.status, 0, result.errors)
        let reference = try XCTUnwrap(try CheckpointStore(directory: straight.path("c").path).loadLatest())
        XCTAssertEqual(reference.manifest.step, 150)
        let referenceSteps = try steps(inLog: straight.path("log").path)
        for delay in [0.08, 0.2, 0.35] {
            let interrupted = try TemporaryDirectory()
            let store = interrupted.path("c").path, log = interrupted.path("log").path
            kill(try start(["--directory", store, "--steps", "150", "--every", "1", "--log", log]), after: delay)
            let reached = ((try? steps(inLog: log)) ?? [:]).keys.max() ?? -1
            XCTAssertLessThan(reached, 149, "the run finished before the kill at \(delay) s: nothing was resumed")
            // Resume with another number of decode threads.
            let resumed = try BuiltProducts.run(millrace, ["checkpoint-soak", "--directory", store, "--steps", "150", "--every", "1",
                                                           "--threads", "3", "--log", log, "--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.errors)
            let final = try XCTUnwrap(try CheckpointStore(directory: store).loadLatest())
            XCTAssertEqual(final.manifest.step, 150)
            XCTAssertEqual(final.model.map(\.name), reference.model.map(\.name))
            for (a, b) in zip(final.model + final.optimizer, reference.model + reference.optimizer) {
                XCTAssertEqual(a.tensor.scalars.map(\.bitPattern), b.tensor.scalars.map(\.bitPattern), "\(a.name) after a kill at \(delay) s")
            }
            XCTAssertEqual(try steps(inLog: log).mapValues { $0.split(separator: " ").dropFirst(2).joined() },
                           referenceSteps.mapValues { $0.split(separator: " ").dropFirst(2).joined() }, "the batches differ")
        }
    }
}
