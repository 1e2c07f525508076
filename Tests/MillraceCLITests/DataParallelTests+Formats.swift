import Foundation
import TestSupport
import XCTest

/// Data-parallel training on the other data kinds: an image folder and its packed shards give
/// the plain run's bytes on 2 and 4 ranks, and each rank's staging cache stays within its budget.
extension DataParallelTests {
    /// 3 classes x 12 gray 6x6 PNGs (libpng's writer) from a fixed formula, under `images/`.
    private func writeImageFolder() throws -> URL {
        let root = directory.path("images")
        for label in 0..<3 {
            let folder = root.appendingPathComponent("class\(label)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0..<12 {
                let pixels = (0..<36).map { UInt8((label * 80 + ($0 % 6) * 11 * (label + 1) + ($0 / 6) * 7 + index * 5) % 256) }
                try PNGWriter.writeGray(width: 6, height: 6, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
            }
        }
        return root
    }

    /// A small conv model on gray images at `data`, batches of 8 (chunks of 4: 2 an ordinary batch).
    private func imagePipeline(data: String, split: Bool) -> String {
        """
        {"name": "images", "dataset": {"kind": "image-folder", "path": "\(data)", "channels": "gray"\(split ? #", "validation_split": 0.25"# : "")},
         "pipeline": {"batch_size": 8, "threads": 1},
         "model": {"layers": [{"type": "conv2d", "filters": 3, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "maxpool", "kernel": 2},
                              {"type": "dense"}]},
         "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "seed": 3,
         "checkpoint": {"keep_last": 1}}
        """
    }

    func testImageFolderOnTwoAndFourRanksGivesThePlainRunsBytes() throws {
        let images = try writeImageFolder()
        try imagePipeline(data: images.path, split: true).write(to: directory.path("images.json"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [], pipeline: "images.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        // The stratified split holds out 3 of each class's 12: 27 training images, batches of
        // 8, 8, 8 and 3 (one chunk, so 3 of 4 ranks idle in the last step), 2 epochs.
        XCTAssertEqual(reference.name, "step-000000008")
        for ranks in [2, 4] {
            try assertPlainRunsBytes(reference, "images\(ranks)", ranks: ranks, pipeline: "images.json")
        }
    }

    /// The same images packed 6 to a shard (6 shards), staged within a budget of 3 of the largest
    /// shard. Every rank is given the same `--cache-dir` and stages into `<dir>/rank-<r>` (ranks
    /// sharing one directory deleted each other's shards: every 4-rank run failed).
    func testPackedShardsOnTwoAndFourRanksGiveThePlainRunsBytesWithinEachRanksBudget() throws {
        let images = try writeImageFolder()
        let packed = directory.path("packed").path
        let pack = try BuiltProducts.run(millrace, ["pack", images.path, "--output", packed, "--shard-size", "6samples", "--channels", "gray"])
        XCTAssertEqual(pack.status, 0, pack.errors)
        var shardBytes: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: packed) where name.hasSuffix(".mrshard") {
            shardBytes[name] = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: "\(packed)/\(name)")[.size] as? Int)
        }
        XCTAssertEqual(shardBytes.count, 6, "36 samples, 6 a shard")
        let budget = 3 * (shardBytes.values.max() ?? 0)
        try imagePipeline(data: packed, split: false).write(to: directory.path("packed.json"), atomically: true, encoding: .utf8)
        func staging(_ cache: String) -> [String] { ["--cache-dir", directory.path(cache).path, "--cache-budget", "\(budget)"] }
        let plain = try train("plain", ranks: nil, staging("cache-plain"), pipeline: "packed.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(reference.name, "step-000000010")  // 36 samples: batches of 8, 8, 8, 8 and 4, 2 epochs
        var caches = ["cache-plain"]
        for ranks in [2, 4] {
            try assertPlainRunsBytes(reference, "packed\(ranks)", ranks: ranks, staging("cache\(ranks)"), pipeline: "packed.json")
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: directory.path("cache\(ranks)").path).sorted(),
                (0..<ranks).map { "rank-\($0)" })
            caches += (0..<ranks).map { "cache\(ranks)/rank-\($0)" }
        }
        // What each cache holds at the end: its index (the files it wrote, the only ones it may
        // delete) and only whole shards of the manifest, within the budget.
        for cache in caches {
            let all = try FileManager.default.contentsOfDirectory(atPath: directory.path(cache).path)
            XCTAssertTrue(all.contains(".millrace-cache"), "\(cache): \(all)")
            let files = all.filter { $0 != ".millrace-cache" }
            XCTAssertTrue(files.allSatisfy { shardBytes[$0] != nil }, "\(cache): \(files)")
            for file in files {
                let size = try FileManager.default.attributesOfItem(atPath: directory.path("\(cache)/\(file)").path)[.size] as? Int
                XCTAssertEqual(size, shardBytes[file], "\(cache)/\(file)")
            }
            XCTAssertLessThanOrEqual(files.reduce(0) { $0 + (shardBytes[$1] ?? 0) }, budget, cache)
        }
    }

    /// The same images packed decoded (uint8 pixels, 6 to a shard) and read in place in the
    /// page-aware order: 2 and 4 ranks give the plain run's bytes, and nothing is staged.
    func testADecodedPackInThePageAwareOrderOnTwoAndFourRanksGivesThePlainRunsBytes() throws {
        let images = try writeImageFolder()
        let packed = directory.path("decoded").path
        let pack = try BuiltProducts.run(
            millrace, ["pack", images.path, "--output", packed, "--decoded", "--shard-size", "6samples", "--channels", "gray"])
        XCTAssertEqual(pack.status, 0, pack.errors)
        let text = imagePipeline(data: packed, split: false).replacingOccurrences(
            of: #""threads": 1}"#, with: #""threads": 1, "order": "page_aware", "window_pages": 1}"#)
        XCTAssertTrue(text.contains("page_aware"))
        try text.write(to: directory.path("decoded.json"), atomically: true, encoding: .utf8)
        let cache = ["--cache-dir", directory.path("decoded-cache").path]
        let plain = try train("plain", ranks: nil, cache, pipeline: "decoded.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(reference.name, "step-000000010")  // 36 samples: batches of 8, 8, 8, 8 and 4, 2 epochs
        for ranks in [2, 4] {
            try assertPlainRunsBytes(reference, "decoded\(ranks)", ranks: ranks, cache, pipeline: "decoded.json")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("decoded-cache").path), "a decoded pack is not staged")
    }

    /// Two PNGs cut short after their header (they list, but fail to decode) under
    /// `skip_bad_fraction`: each rank leaves out the bad samples it reads, the gradient chunks stay
    /// at their positions in the global batch (a chunk may shrink or empty), and every chunk is
    /// weighted by its share of the kept samples; plain, 2 and 3 ranks give the same bytes, and
    /// fewer than 36 samples were trained on each epoch.
    func testSkippedBadImagesOnTwoAndThreeRanksGiveThePlainRunsBytes() throws {
        let images = try writeImageFolder()
        for name in ["class0/3.png", "class2/7.png"] {
            let file = images.appendingPathComponent(name)
            try Data(try Data(contentsOf: file).prefix(40)).write(to: file)
        }
        let text = imagePipeline(data: images.path, split: false).replacingOccurrences(
            of: #""threads": 1}"#, with: #""threads": 1, "skip_bad_fraction": 0.1}"#)
        XCTAssertTrue(text.contains("skip_bad_fraction"))
        try text.write(to: directory.path("skip.json"), atomically: true, encoding: .utf8)
        let plain = try train("plain", ranks: nil, [], pipeline: "skip.json")
        XCTAssertEqual(plain.status, 0, plain.errors)
        let reference = try latest("plain")
        XCTAssertEqual(reference.name, "step-000000010")  // 36 listed samples: batches of 8, 8, 8, 8 and 4, 2 epochs
        for ranks in [2, 3] {
            let result = try assertPlainRunsBytes(reference, "skip\(ranks)", ranks: ranks, pipeline: "skip.json")
            XCTAssertEqual(result["final_loss"] as? Double, try summary(plain.output)["final_loss"] as? Double)
        }
        // Over the budget (2 bad of 36 is more than 5%): the plain run fails, and so does every
        // rank count, though no single rank may have met both bad files.
        try text.replacingOccurrences(of: #""skip_bad_fraction": 0.1"#, with: #""skip_bad_fraction": 0.05"#)
            .write(to: directory.path("strict.json"), atomically: true, encoding: .utf8)
        for ranks in [nil, 2, 3] as [Int?] {
            let run = try train("strict\(ranks ?? 1)", ranks: ranks, [], pipeline: "strict.json")
            XCTAssertNotEqual(run.status, 0, "\(ranks ?? 1) ranks: \(run.output)")
            XCTAssertTrue(run.errors.contains("2 of 36 samples are bad"), "\(ranks ?? 1) ranks: \(run.errors)")
        }
        // Not silent: without --quiet the run names the files it left out.
        let loud = try BuiltProducts.run(
            millrace,
            [
                "train", directory.path("skip.json").path, "--run-dir", directory.path("loud/run").path, "--checkpoint-dir",
                directory.path("loud/checkpoints").path,
            ])
        XCTAssertEqual(loud.status, 0, loud.errors)
        XCTAssertTrue(loud.errors.contains("left out 2 training sample(s) that could not be read"), loud.errors)
        XCTAssertTrue(loud.errors.contains("class0/3.png") && loud.errors.contains("class2/7.png"), loud.errors)
    }
}
