import Foundation
import TestSupport
import XCTest

/// Issue 20, what the field review found left over: run, checkpoint and cache folders that
/// collide with the data, a pack written into its own input, labels that make no classification
/// problem, and the messages for damaged checkpoints, changed layers and lying manifests. Each
/// row is a `millrace` command, its exit status, fragments of its one-line message, and the
/// paths it must leave unchanged (a refused run creates no lock file or folder there). The
/// network rows are in `FieldCollisionTests+Network.swift`.
final class FieldCollisionTests: XCTestCase {
    let root = Fixtures.repositoryRoot.path
    var directory: TemporaryDirectory!
    func path(_ name: String) -> String { directory.path(name).path }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory(prefix: "millrace-field-collide")
    }

    func write(_ text: String, to name: String) throws {
        try FileManager.default.createDirectory(atPath: (path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: directory.path(name))
    }

    /// A small image folder: `classes` class folders (0, 1, ...) with 12 digits each.
    func smallFolder(_ name: String, classes: Int = 2) throws -> String {
        for label in (0..<classes).map(String.init) {
            try FileManager.default.createDirectory(atPath: path("\(name)/\(label)"), withIntermediateDirectories: true)
            let source = root + "/datasets/digits/\(label)"
            for file in try FileManager.default.contentsOfDirectory(atPath: source).sorted().prefix(12) {
                try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: path("\(name)/\(label)/\(file)"))
            }
        }
        return path(name)
    }

    /// Packs the shipped digits into `name` (16 KB shards, grey).
    func packDigits(_ name: String) throws -> String {
        let packed = try BuiltProducts.run(
            BuiltProducts.executable("millrace"),
            ["pack", root + "/datasets/digits", "--output", path(name), "--shard-size", "16KB", "--channels", "gray"])
        XCTAssertEqual(packed.status, 0, packed.errors)
        return path(name)
    }

    /// `train digits-mlp` on `data` for one epoch into `run`, and more.
    func train(_ data: String, run: String, _ extra: [String] = []) -> [String] {
        ["train", root + "/pipelines/digits-mlp.json", "--data", data, "--epochs", "1", "--run-dir", run] + extra
    }

    /// `train digits-csv` on `data` for one epoch into `run`, and more.
    func trainCSV(_ data: String, run: String, _ extra: [String] = []) -> [String] {
        ["train", root + "/pipelines/digits-csv.json", "--data", data, "--epochs", "1", "--run-dir", run] + extra
    }

    /// `pack input --output output`.
    func pack(_ input: String, _ output: String) -> [String] {
        ["pack", input, "--output", output, "--shard-size", "16KB", "--channels", "gray"]
    }

    /// Run and checkpoint directories at, in and around the training and validation data: image
    /// folders (the shipped digits too), a CSV file, a packed folder, the staging cache; through
    /// links and `..`. Refused before anything is created; a sibling folder is fine.
    func testRunAndCheckpointDirectoriesApartFromTheData() throws {
        let images = try smallFolder("digits")
        let validation = try smallFolder("held-out")
        let shipped = root + "/datasets/digits"
        try FileManager.default.createSymbolicLink(atPath: path("digits-link"), withDestinationPath: images)
        try FileManager.default.createDirectory(atPath: path("csv"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/datasets/digits.csv", toPath: path("csv/digits.csv"))
        let csv = path("csv/digits.csv")
        let packed = try packDigits("packed")
        let packedTrain = { (run: String, extra: [String]) in
            self.train(packed, run: run, ["--validation", shipped, "--cache-budget", "1MB"] + extra)
        }
        let all = path("")
        let rows = [
            FieldCase(
                "run dir is the image folder", train(images, run: images), status: 1,
                ["\(images): the run directory is the training data \(images)", "give a --run-dir apart from the data"],
                unchanged: [images]),
            FieldCase(
                "run dir inside the image folder", train(images, run: images + "/runs/x"), status: 1,
                ["the run directory lies inside the training data \(images)"], unchanged: [images]),
            FieldCase(
                "run dir contains the image folder", train(images, run: all), status: 1,
                ["the run directory contains the training data \(images)"], unchanged: [all]),
            FieldCase(
                "run dir through a link to the image folder", train(images, run: path("digits-link")), status: 1,
                ["the run directory is the training data", "(resolved: \(images) and \(images))"], unchanged: [images]),
            FieldCase(
                "run dir reaching the image folder through ..", train(images, run: path("runs/../digits")), status: 1,
                ["the run directory is the training data"], unchanged: [images, path("runs")]),
            FieldCase(
                "checkpoint dir is the image folder", train(images, run: path("r1"), ["--checkpoint-dir", images]), status: 1,
                ["the checkpoint directory is the training data", "give a --checkpoint-dir apart from the data"],
                unchanged: [images, path("r1")]),
            FieldCase(
                "checkpoint dir inside the shipped digits", train(shipped, run: path("r2"), ["--checkpoint-dir", shipped + "/checkpoints"]),
                status: 1, ["the checkpoint directory lies inside the training data \(shipped)"], unchanged: [shipped, path("r2")]),
            FieldCase(
                "run dir is the validation folder", train(images, run: validation, ["--validation", validation]), status: 1,
                ["the run directory is the validation data \(validation)"], unchanged: [validation, images]),
            FieldCase(
                "checkpoint dir inside the validation folder",
                train(images, run: path("r3"), ["--validation", validation, "--checkpoint-dir", validation + "/0/ck"]), status: 1,
                ["the checkpoint directory lies inside the validation data"], unchanged: [validation, path("r3")]),
            FieldCase(
                "run dir is the CSV file's folder", trainCSV(csv, run: path("csv")), status: 1,
                ["the run directory contains the training data \(csv)"], unchanged: [path("csv")]),
            FieldCase(
                "checkpoint dir is the CSV file", trainCSV(csv, run: path("r4"), ["--checkpoint-dir", csv]), status: 1,
                ["the checkpoint directory is the training data \(csv)"], unchanged: [path("csv"), path("r4")]),
            FieldCase(
                "run dir is the packed folder", packedTrain(packed, []), status: 1, ["the run directory is the training data \(packed)"],
                unchanged: [packed]),
            FieldCase(
                "run dir inside the packed folder, data given as its manifest",
                train(packed + "/manifest.json", run: packed + "/run", ["--validation", shipped]), status: 1,
                ["the run directory lies inside the training data \(packed)"], unchanged: [packed]),
            FieldCase(
                "run dir is the staging cache", packedTrain(path("r5"), ["--cache-dir", path("r5")]), status: 1,
                ["the run directory is the staging cache directory", "another --cache-dir"], unchanged: [packed, path("r5")]),
            FieldCase(
                "checkpoint dir inside the staging cache",
                packedTrain(path("r6"), ["--cache-dir", path("cache6"), "--checkpoint-dir", path("cache6/ck")]), status: 1,
                ["the checkpoint directory lies inside the staging cache directory"], unchanged: [packed, path("r6"), path("cache6")]),
            FieldCase(
                "staging cache inside the validation folder", packedTrain(path("r7"), ["--cache-dir", shipped + "/cache"]), status: 1,
                ["the staging cache directory lies inside the validation data \(shipped)"], unchanged: [packed, shipped, path("r7")]),
            FieldCase(
                "a run dir beside the data whose name begins like it", train(images, run: path("digits-run")), status: 0, ["done: 1 epochs"],
                unchanged: [images]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    /// `pack --output` at, in or around its input (images or CSV, through a link too) is refused
    /// before the input is read; a sibling folder is fine.
    func testPackOutputApartFromItsInput() throws {
        let images = try smallFolder("images")
        try FileManager.default.createSymbolicLink(atPath: path("images-link"), withDestinationPath: images)
        try FileManager.default.createDirectory(atPath: path("tables"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/datasets/digits.csv", toPath: path("tables/digits.csv"))
        let csv = path("tables/digits.csv")
        let rows = [
            FieldCase(
                "pack into the image folder", pack(images, images + "/packed"), status: 1,
                ["\(images)/packed: --output lies inside the input \(images)", "outside the input"], unchanged: [images]),
            FieldCase("pack onto the image folder", pack(images, images), status: 1, ["--output is the input \(images)"], unchanged: [images]),
            FieldCase(
                "pack around the image folder", pack(images, path("")), status: 1, ["--output contains the input \(images)"],
                unchanged: [path("")]),
            FieldCase(
                "pack into the image folder through a link", pack(images, path("images-link/packed")), status: 1,
                ["--output lies inside the input", "(resolved: \(images)/packed and \(images))"], unchanged: [images]),
            FieldCase(
                "pack into the shipped digits", pack(root + "/datasets/digits", root + "/datasets/digits/packed"), status: 1,
                ["--output lies inside the input"], unchanged: [root + "/datasets/digits"]),
            FieldCase(
                "pack a CSV into its own folder", pack(csv, path("tables")), status: 1, ["--output contains the input \(csv)"],
                unchanged: [path("tables")]),
            FieldCase("pack beside the images", pack(images, path("images-packed")), status: 0, ["24 samples"], unchanged: [images]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    /// Labels that make no classification problem: a stray large numeric label, one class, no
    /// rows, a repeated column name; for CSV files, packs and image folders. Data read against a
    /// model's classes (validation) may hold only some of them.
    func testLabelsMustMakeAClassificationProblem() throws {
        let rows = (0..<60).map { "\($0 % 7),\($0 % 5),\($0 % 10)" }
        try write("a,b,label\n" + (rows[..<30] + ["1,2,99"] + rows[30...]).joined(separator: "\n") + "\n", to: "sparse.csv")
        try write("a,b,label\n" + (0..<20).map { "\($0),\($0),3" }.joined(separator: "\n") + "\n", to: "one.csv")
        try write("a,b,label\n", to: "header-only.csv")
        try write("label,a,b,label\n" + (0..<20).map { "\($0 % 2),\($0),\($0),\($0 % 2)" }.joined(separator: "\n") + "\n", to: "two-labels.csv")
        try write("a,b,a,label\n" + (0..<20).map { "\($0),\($0),\($0),\($0 % 2)" }.joined(separator: "\n") + "\n", to: "two-a.csv")
        try write("a,b,label\n" + (0..<30).map { "\($0),\($0 % 3),\($0 % 3 == 0 ? 0 : 2)" }.joined(separator: "\n") + "\n", to: "gap.csv")
        try write("a,b,label\n" + (0..<30).map { "\($0),\($0 % 4),\($0 % 3)" }.joined(separator: "\n") + "\n", to: "three.csv")
        try write("a,b,label\n" + (0..<10).map { "\($0),\($0 % 4),0" }.joined(separator: "\n") + "\n", to: "only-zeros.csv")
        let single = try smallFolder("single", classes: 1)
        let table = { (name: String) in self.trainCSV(self.path(name), run: self.path("runs/\(name)")) }
        let fixture = [
            FieldCase(
                "a stray 99 among labels 0-9", table("sparse.csv"), status: 1,
                ["sparse.csv:32:3", "label 99 makes 100 classes", "only 11 of them occur", "correct the label on line 32"],
                unchanged: [path("sparse.csv")]),
            FieldCase(
                "one class in a CSV", table("one.csv"), status: 1, ["one.csv: every row has the same label (3, 1 class)", "at least 2 classes"]),
            FieldCase(
                "a CSV with only a header", table("header-only.csv"), status: 1,
                ["header-only.csv: the file holds no labelled rows", "at least 2 classes"]),
            FieldCase(
                "two label columns", table("two-labels.csv"), status: 1,
                ["two-labels.csv:1:4", "columns 1 and 4 of the header are both named 'label'"]),
            FieldCase(
                "a repeated feature name", table("two-a.csv"), status: 1, ["two-a.csv:1:3", "columns 1 and 3 of the header are both named 'a'"]),
            FieldCase("labels 0 and 2 (one id of three unused) train", table("gap.csv"), status: 0, ["done: 1 epochs"]),
            FieldCase(
                "pack a CSV with a stray label", ["pack", path("sparse.csv"), "--output", path("sparse-pack")], status: 1,
                ["sparse.csv:32:3", "label 99 makes 100 classes"], unchanged: [path("sparse-pack")]),
            FieldCase(
                "pack a CSV of one class", ["pack", path("one.csv"), "--output", path("one-pack")], status: 1, ["at least 2 classes"],
                unchanged: [path("one-pack")]),
            FieldCase(
                "an image folder of one class", train(single, run: path("runs/single")), status: 1,
                ["\(single): the training data has 1 class ('0')", "at least 2 classes"], unchanged: [single]),
            FieldCase(
                "validation rows of one class train", trainCSV(path("three.csv"), run: path("runs/v"), ["--validation", path("only-zeros.csv")]),
                status: 0, ["done: 1 epochs"]),
        ]
        for row in fixture { XCTAssertEqual(try row.problems(), []) }
    }

    /// Applies `change` to `file` in each of `run`'s step folders, oldest first (`changes[i]` for the i-th).
    private func damage(_ run: String, _ changes: [(file: String, change: (inout Data) -> Void)]) throws -> [String] {
        let checkpoints = run + "/checkpoints"
        let folders = try FileManager.default.contentsOfDirectory(atPath: checkpoints).filter { $0.hasPrefix("step-") }.sorted()
        XCTAssertEqual(folders.count, changes.count, "\(folders)")
        for (folder, (file, change)) in zip(folders, changes) {
            let url = URL(fileURLWithPath: "\(checkpoints)/\(folder)/\(file)")
            var bytes = try Data(contentsOf: url)
            change(&bytes)
            if bytes.isEmpty { try FileManager.default.removeItem(at: url) } else { try bytes.write(to: url) }
        }
        return folders
    }

    /// Trains `pipeline` (a lifecycle fixture) into `name` with a checkpoint every 4 steps.
    private func trained(_ pipeline: String, as name: String, _ extra: [String] = []) throws -> String {
        let result = try BuiltProducts.run(
            BuiltProducts.executable("millrace"),
            ["train", path("\(pipeline).json"), "--run-dir", path(name), "--checkpoint-every", "4", "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, result.errors)
        return path(name)
    }

    /// Every damaged checkpoint is named with its file and reason (evaluate, predict, inspect,
    /// resume); a changed layer type names the layer and both types; a lying sample count names
    /// only the limit it breaks.
    func testMessagesNameEachDamageTheLayerAndTheLimit() throws {
        try LifecycleFixture.write(into: directory)
        let run = try trained("adam", as: "damaged")
        let folders = try damage(
            run,
            [
                ("optimizer.safetensors", { $0 = $0.prefix($0.count / 2) }), ("manifest.json", { $0 = Data() }),
                ("model.safetensors", { $0[$0.count - 1] ^= 0x01 }),
            ])
        let partly = try trained("adam", as: "partly")
        _ = try damage(partly, [("manifest.json", { _ in }), ("manifest.json", { _ in }), ("model.safetensors", { $0[$0.count - 1] ^= 0x01 })])
        let each = [
            "every checkpoint is damaged (3)", "\(folders[2])/model.safetensors: CRC32", "\(folders[1])/manifest.json",
            "\(folders[0])/optimizer.safetensors",
        ]
        let text = try String(contentsOfFile: path("adam.json"), encoding: .utf8)
        try text.replacingOccurrences(of: #"{"type": "dense"}]"#, with: #"{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense"}]"#)
            .write(toFile: path("deeper.json"), atomically: true, encoding: .utf8)
        var copies: [String: String] = [:]
        for name in ["tanh", "wide", "deeper"] {
            try FileManager.default.copyItem(atPath: try trainedBase(), toPath: path("resume-\(name)"))
            copies[name] = path("resume-\(name)")
        }
        let images = try smallFolder("images")
        let mlp = path("mlp-run")
        let mlpResult = try BuiltProducts.run(BuiltProducts.executable("millrace"), train(images, run: mlp, ["--quiet"]))
        XCTAssertEqual(mlpResult.status, 0, mlpResult.errors)
        let resume = { (pipeline: String, run: String) in ["train", self.path("\(pipeline).json"), "--run-dir", run, "--resume"] }
        let rows = [
            FieldCase(
                "evaluate, every checkpoint damaged", ["evaluate", run + "/checkpoints", "--data", path("data.csv")], status: 1, each,
                unchanged: [run]),
            FieldCase("predict, every checkpoint damaged", ["predict", run + "/checkpoints", path("data.csv")], status: 1, each, unchanged: [run]),
            FieldCase("inspect, every checkpoint damaged", ["inspect", run + "/checkpoints"], status: 1, each, unchanged: [run]),
            FieldCase("resume, every checkpoint damaged", resume("adam", run), status: 1, each + ["--restart"], unchanged: [run + "/checkpoints"]),
            FieldCase(
                "evaluate passes over the damaged newest", ["evaluate", partly + "/checkpoints", "--data", path("data.csv")], status: 0,
                ["samples: accuracy"], unchanged: [partly]),
            FieldCase(
                "resume with relu changed to tanh", resume("tanh", copies["tanh"]!), status: 1,
                [#"model.layers[1].type is "tanh" here, "relu" in the checkpoint"#], unchanged: [copies["tanh"]! + "/checkpoints"]),
            FieldCase(
                "resume with dense changed to conv2d",
                ["train", root + "/pipelines/digits-cnn.json", "--data", images, "--run-dir", mlp, "--resume"], status: 1,
                [#"model.layers[0].type is "conv2d" here, "dense" in the checkpoint"#], unchanged: [mlp + "/checkpoints", images]),
            FieldCase(
                "resume with another width", resume("wide", copies["wide"]!), status: 1, ["model.layers[0].units is 32 here, 16 in the checkpoint"],
                unchanged: [copies["wide"]! + "/checkpoints"]),
            FieldCase(
                "resume with a layer added", resume("deeper", copies["deeper"]!), status: 1,
                ["model.layers[2].units is 8 here, none in the checkpoint"],
                unchanged: [copies["deeper"]! + "/checkpoints"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    /// The base run the resume rows copy: `adam` trained once.
    private func trainedBase() throws -> String {
        if FileManager.default.fileExists(atPath: path("base-adam")) { return path("base-adam") }
        return try trained("adam", as: "base-adam")
    }
}
