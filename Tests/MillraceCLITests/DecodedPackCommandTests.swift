import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `millrace pack --decoded` (uint8 pixels) and what reads it: `train` maps the pack in place
/// (nothing staged), in either order, and a killed run resumes to the uninterrupted bytes;
/// `bench pipeline` measures it against memcpy.
final class DecodedPackCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!
    private var packed: String { directory.path("packed").path }

    /// The shipped digits packed as uint8 in shards of 16 KiB.
    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        let pack = try BuiltProducts.run(
            millrace, ["pack", "datasets/digits", "--output", packed, "--decoded", "--channels", "gray", "--shard-size", "16KB", "--json"])
        XCTAssertEqual(pack.status, 0, pack.errors)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(pack.output.utf8)) as? [String: Any])
        XCTAssertEqual(summary["samples"] as? Int, 1797)
        XCTAssertEqual(summary["shards"] as? Int, 10)  // 192 samples of 64 bytes after a 4096-byte header page: 16384 bytes
    }

    /// A pipeline on the pack: an MLP, batches of 32, `order` as given, checkpoints every step.
    private func writePipeline(order: String?, epochs: Int = 3) throws -> String {
        let orderKeys = order.map { #", "order": "\#($0)", "window_pages": 2"# } ?? ""
        let text = """
            {"name": "decoded", "dataset": {"kind": "packed", "path": "\(packed)"},
             "pipeline": {"batch_size": 32, "threads": 2\(orderKeys)},
             "model": {"layers": [{"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.003}, "epochs": \(epochs), "seed": 6,
             "checkpoint": {"keep_last": 1000}}
            """
        let path = directory.path("pipeline-\(order ?? "default").json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func arguments(_ pipeline: String, _ name: String, _ extra: [String] = []) -> [String] {
        ["train", pipeline, "--run-dir", directory.path(name).path, "--cache-dir", directory.path("\(name)-cache").path] + extra
    }

    /// The step of the run's committed `latest` checkpoint, or nil before the first commit.
    private func latestStep(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: directory.path("\(name)/checkpoints/latest").path, encoding: .utf8),
            text.hasPrefix("step-")
        else { return nil }
        return Int(text.dropFirst(5))
    }

    func testTrainingReadsTheDecodedPackInPlaceInEitherOrder() throws {
        for order in [nil, "page_aware"] {
            let name = "run-\(order ?? "shuffle")"
            let result = try BuiltProducts.run(
                millrace, arguments(try writePipeline(order: order), name, ["--validation", "datasets/digits", "--json", "--quiet"]))
            XCTAssertEqual(result.status, 0, result.errors)
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            XCTAssertGreaterThan(summary["final_validation_accuracy"] as? Double ?? 0, 0.8, "\(order ?? "shuffle"): \(summary)")
            XCTAssertEqual(summary["steps"] as? Int, 3 * 57)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("\(name)-cache").path), "nothing is staged")
        }
    }

    /// Killed with SIGKILL after a committed mid-epoch checkpoint (page-aware order) and resumed:
    /// the final weights and optimizer state are the uninterrupted run's, byte for byte.
    func testAKilledRunOnADecodedPackResumesToTheUninterruptedBytes() throws {
        let pipeline = try writePipeline(order: "page_aware")
        let reference = try BuiltProducts.run(millrace, arguments(pipeline, "reference", ["--json", "--quiet"]))
        XCTAssertEqual(reference.status, 0, reference.errors)
        let expected = try CommittedCheckpoint.latest(in: directory.path("reference/checkpoints"))
        XCTAssertEqual(expected.step, 3 * 57)
        var tested = 0
        for attempt in 1...8 where tested < 1 {
            let name = "trial-\(attempt)"
            let process = try BuiltProducts.start(millrace, arguments(pipeline, name, ["--checkpoint-every", "1", "--quiet"]))
            var killedAfter: Int?
            // SIGKILL once a step inside epoch 2 is committed (not at an epoch's end).
            let polled = waitUntil {
                guard process.isRunning else { return true }
                guard let step = latestStep(name), step > 57, step % 57 != 0 else { return false }
                killedAfter = step
                kill(process.processIdentifier, SIGKILL)
                return true
            }
            guard polled else {
                BuiltProducts.stop(process)
                return XCTFail("\(name) neither passed step 57 nor ended within 120 s (hang guard; stopped)")
            }
            process.waitUntilExit()
            guard process.terminationReason == .uncaughtSignal, let killedAfter, killedAfter < 3 * 57 else {
                print("\(name) ended before its kill; trying again")
                continue
            }
            let resumed = try BuiltProducts.run(millrace, arguments(pipeline, name, ["--checkpoint-every", "1", "--resume", "--quiet"]))
            XCTAssertEqual(resumed.status, 0, "\(name), killed after step \(killedAfter): \(resumed.errors)")
            let final = try CommittedCheckpoint.latest(in: directory.path("\(name)/checkpoints"))
            XCTAssertEqual(final.step, expected.step, "\(name), killed after step \(killedAfter)")
            XCTAssertEqual(final.model, expected.model, "\(name), killed after step \(killedAfter): model.safetensors differs")
            XCTAssertEqual(final.optimizer, expected.optimizer, "\(name), killed after step \(killedAfter): optimizer state differs")
            tested += 1
        }
        XCTAssertGreaterThan(tested, 0, "every trial ended before its kill")
    }

    func testBenchPipelineReadsADecodedPackAgainstMemcpy() throws {
        for order in ["shuffle", "page-aware"] {
            let result = try BuiltProducts.run(
                millrace, ["bench", "pipeline", packed, "--epochs", "2", "--batch-size", "50", "--order", order, "--json"])
            XCTAssertEqual(result.status, 0, result.errors)
            let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            XCTAssertEqual(summary["images"] as? Int, 2 * 1797)
            XCTAssertEqual(summary["order"] as? String, order)
            XCTAssertEqual(summary["format"] as? String, "uint8 pack (mmap)")
            XCTAssertGreaterThan(summary["memcpy_images_per_second"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(summary["convert_images_per_second"] as? Double ?? 0, 0)
        }
        // A pack of PNG bytes is not what bench pipeline reads: one error line, status 1.
        let pngPack = directory.path("png-pack").path
        XCTAssertEqual(
            try BuiltProducts.run(millrace, ["pack", "datasets/digits", "--output", pngPack, "--channels", "gray"]).status, 0)
        let refused = try BuiltProducts.run(millrace, ["bench", "pipeline", pngPack])
        XCTAssertEqual(refused.status, 1, refused.errors)
        XCTAssertTrue(refused.errors.contains("bench pipeline reads a PNG folder or a decoded pack"), refused.errors)
    }
}
