import Foundation
import TestSupport
import XCTest

/// Issue 20's configuration classes, as a user meets them: strict pipeline JSON, run names,
/// values that make training meaningless, data of another kind or shape than the model, and
/// sizes beyond the memory. Every row is one `millrace` process: status 1 with one `error:` line
/// holding the fragments, and the test folder unchanged (nothing written before the refusal).
final class FieldConfigurationTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var csv: String!
    /// The same table with one feature more.
    private var wideCSV: String!
    /// A folder of 16x16 gray images in classes 0 and 1 (the digits are 8x8).
    private var largeImages: String!
    private let digits = Fixtures.repositoryRoot.path + "/datasets/digits"

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        csv = directory.path("small.csv").path
        wideCSV = directory.path("wide.csv").path
        // 9 rows, 2 features, 3 classes; the wide file has 3 features.
        try (["a,b,label"] + (0..<9).map { "\($0),\($0 % 4),\($0 % 3)" }).joined(separator: "\n").write(
            toFile: csv, atomically: true, encoding: .utf8)
        try (["a,b,c,label"] + (0..<9).map { "\($0),\($0 % 4),1,\($0 % 3)" }).joined(separator: "\n").write(
            toFile: wideCSV, atomically: true, encoding: .utf8)
        largeImages = directory.path("large").path
        for label in ["0", "1"] {
            try FileManager.default.createDirectory(atPath: "\(largeImages!)/\(label)", withIntermediateDirectories: true)
            try PNGWriter.writeGray(
                width: 16, height: 16, pixels: (0..<256).map { UInt8(($0 * 7) % 256) }, to: URL(fileURLWithPath: "\(largeImages!)/\(label)/a.png"))
        }
    }

    /// A valid table pipeline as text (line 8 holds `epochs`), with `edit` applied to the text.
    private func tableText(_ edit: (String) -> String = { $0 }) -> String {
        edit(
            """
            {
              "name": "table",
              "dataset": {"kind": "csv", "path": "\(csv!)"},
              "pipeline": {"batch_size": 4, "threads": 1},
              "model": {"layers": [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense"}]},
              "loss": "cross-entropy",
              "optimizer": {"type": "sgd", "learning_rate": 0.1},
              "epochs": 1,
              "seed": 1
            }
            """)
    }

    /// A valid table pipeline as an object.
    private func table() -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(tableText().utf8)) as! [String: Any]
    }

    /// A valid image pipeline on the 8x8 gray digits: conv (padding 1) - maxpool - dense.
    private func images() -> [String: Any] {
        var pipeline = table()
        pipeline["dataset"] = ["kind": "image-folder", "path": digits, "channels": "gray"]
        pipeline["pipeline"] = ["batch_size": 64, "threads": 2]
        pipeline["model"] = ["layers": [["type": "conv2d", "filters": 2, "padding": 1], ["type": "maxpool"], ["type": "dense"]]]
        return pipeline
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let path = directory.path(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func write(_ object: [String: Any], _ name: String) throws -> String {
        try write(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self), name)
    }

    private func edited(_ base: [String: Any], _ section: String?, _ key: String, _ value: Any) -> [String: Any] {
        var pipeline = base
        guard let section else {
            pipeline[key] = value
            return pipeline
        }
        var object = pipeline[section] as? [String: Any] ?? [:]
        object[key] = value
        pipeline[section] = object
        return pipeline
    }

    private func layers(_ base: [String: Any], _ body: (inout [[String: Any]]) -> Void) -> [String: Any] {
        var pipeline = base
        var model = pipeline["model"] as! [String: Any]
        var list = model["layers"] as! [[String: Any]]
        body(&list)
        model["layers"] = list
        pipeline["model"] = model
        return pipeline
    }

    private func assertRows(_ rows: [FieldCase], file: StaticString = #filePath, line: UInt = #line) throws {
        for row in rows { XCTAssertEqual(try row.problems(), [], file: file, line: line) }
    }

    /// `train <file>` with the run directory in the test folder, refused, the folder unchanged.
    private func refused(_ name: String, _ file: String, _ fragments: [String], extra: [String] = []) -> FieldCase {
        FieldCase(
            name, ["train", file, "--run-dir", directory.path("run-\(name.count)").path] + extra, status: 1, [file] + fragments,
            unchanged: [directory.url.path])
    }

    /// Duplicate keys and trailing commas (which Linux Foundation's JSONSerialization and
    /// JSONDecoder both accept, and on which they disagree for duplicates) name the line, column,
    /// byte and key path; other syntax errors keep their message.
    func testPipelineJSONIsStrict() throws {
        let duplicate = tableText { $0.replacingOccurrences(of: "\"epochs\": 1,", with: "\"epochs\": 1, \"epochs\": 2,") }
        let secondOffset = (duplicate.range(of: "\"epochs\"", options: .backwards)!.lowerBound.utf16Offset(in: duplicate))
        let comma = tableText { $0.replacingOccurrences(of: "\"threads\": 1}", with: "\"threads\": 1,}") }
        let commaOffset = comma.range(of: "1,}")!.lowerBound.utf16Offset(in: comma) + 1
        let rows = [
            refused(
                "duplicate top-level key", try write(duplicate, "dup.json"),
                ["key 'epochs'", "line 8", "(byte \(secondOffset))", "second time", "first at line 8, column 3"]),
            refused(
                "duplicate nested key",
                try write(
                    tableText { $0.replacingOccurrences(of: "\"batch_size\": 4", with: "\"batch_size\": 4, \"batch_size\": 400") }, "nested.json"),
                ["key 'pipeline.batch_size'", "line 4", "second time"]),
            refused(
                "duplicate key in a layer",
                try write(tableText { $0.replacingOccurrences(of: "\"units\": 8", with: "\"units\": 8, \"units\": 9") }, "layer.json"),
                ["key 'model.layers[0].units'", "line 5"]),
            refused(
                "duplicate key spelled with an escape",
                try write(tableText { $0.replacingOccurrences(of: "\"seed\": 1", with: "\"seed\": 1, \"se\\u0065d\": 2") }, "escaped.json"),
                ["key 'seed'", "line 9"]),
            refused(
                "trailing comma in an object", try write(comma, "comma.json"),
                ["key 'pipeline'", "trailing comma before '}'", "line 4", "(byte \(commaOffset))"]),
            refused(
                "trailing comma in a list",
                try write(tableText { $0.replacingOccurrences(of: "{\"type\": \"dense\"}]", with: "{\"type\": \"dense\"},]") }, "list.json"),
                ["key 'model.layers'", "trailing comma before ']'", "line 5"]),
            refused(
                "trailing comma at the top level",
                try write(tableText { $0.replacingOccurrences(of: "\"seed\": 1", with: "\"seed\": 1,") }, "top.json"),
                ["trailing comma before '}'", "line 9"]),
            refused("other syntax errors keep their message", try write(tableText { String($0.dropLast()) }, "open.json"), ["not valid JSON"]),
            FieldCase(
                "a comma and brace inside a string are no trailing comma",
                [
                    "train", try write(tableText { $0.replacingOccurrences(of: "\"name\": \"table\"", with: "\"name\": \"a,}\"") }, "string.json"),
                    "--run-dir", directory.path("string").path, "--quiet",
                ], status: 0, []),
        ]
        try assertRows(rows)
    }

    /// A run name becomes `runs/<name>`: empty, parent, slash and control characters are refused.
    func testRunNamesCannotLeaveTheRunsFolder() throws {
        let rows = [
            ("", "it is empty"), ("../../x", "'/'"), ("a/b", "'/'"), ("..", "'..'"), ("a..b", "'..'"), (".", "'.'"), ("a\u{0}b", "control"),
            ("a\nb", "control"),
        ]
        .enumerated().map { index, row in
            FieldCase(
                "run name \(row.0.debugDescription)", ["train", try! write(edited(table(), nil, "name", row.0), "name-\(index).json")], status: 1,
                ["key 'name'", row.1, "run name"], unchanged: [directory.url.path])
        }
        try assertRows(rows)
    }

    /// Values that fit the file but make training on this data meaningless, and the ranges the
    /// README states.
    func testMeaninglessValuesAreRefusedWithBothNumbers() throws {
        let augment = { (entry: [String: Any], base: [String: Any]) in self.edited(base, "pipeline", "augmentations", [entry]) }
        let rows = [
            refused(
                "crop padding equal to the image", try write(augment(["crop_padding": 8], images()), "crop8.json"),
                ["pipeline.augmentations[0].crop_padding", "8x8", "8"]),
            refused(
                "crop padding beyond the image", try write(augment(["crop_padding": 20], images()), "crop20.json"), ["crop_padding", "20", "8x8"]),
            refused(
                "crop on table rows", try write(augment(["crop_padding": 1], table()), "croptable.json"), ["crop_padding applies to images", "[2]"]),
            refused("flip on table rows", try write(augment(["flip": 0.5], table()), "fliptable.json"), ["pipeline.augmentations[0].flip", "[2]"]),
            refused(
                "centre crop larger than the images",
                try write(edited(edited(images(), "dataset", "size", [16, 16]), "dataset", "sizing", "center-crop"), "center.json"),
                ["dataset.size", "16x16", "8x8"]),
            refused(
                "conv padding as large as the kernel", try write(layers(images()) { $0[0]["padding"] = 3 }, "pad.json"),
                ["model.layers[0].padding", "3", "kernel (3)"]),
            refused(
                "maxpool window larger than its input", try write(layers(images()) { $0[1]["kernel"] = 9 }, "pool9.json"),
                ["model.layers[1]", "8x8", "9x9"]),
            refused(
                "avgpool window larger than its input", try write(layers(images()) { $0[1] = ["type": "avgpool", "kernel": 12] }, "avg12.json"),
                ["model.layers[1]", "8x8", "12x12"]),
            refused(
                "adam beta1 of 1", try write(edited(table(), nil, "optimizer", ["type": "adam", "learning_rate": 0.1, "beta1": 1.0]), "beta1.json"),
                ["optimizer.beta1", "1.0"]),
            refused(
                "adam beta2 negative",
                try write(edited(table(), nil, "optimizer", ["type": "adam", "learning_rate": 0.1, "beta2": -0.1]), "beta2.json"),
                ["optimizer.beta2", "-0.1"]),
            refused(
                "cosine minimum negative", try write(edited(table(), nil, "schedule", ["type": "cosine", "minimum": -1]), "cos.json"),
                ["schedule.minimum", "-1"]),
            refused("image size with a zero", try write(edited(images(), "dataset", "size", [0, 8]), "size0.json"), ["dataset.size", "[0, 8]"]),
            refused("image size of one number", try write(edited(images(), "dataset", "size", [8]), "size1.json"), ["dataset.size", "[8]"]),
            refused(
                "batchnorm momentum above 1", try write(layers(table()) { $0.insert(["type": "batchnorm", "momentum": 1.5], at: 1) }, "bnm.json"),
                ["model.layers[1].momentum", "1.5"]),
            refused(
                "batchnorm epsilon 0", try write(layers(table()) { $0.insert(["type": "batchnorm", "epsilon": 0], at: 1) }, "bne.json"),
                ["model.layers[1].epsilon", "0.0"]),
            refused(
                "skip_bad_fraction above 1", try write(edited(table(), "pipeline", "skip_bad_fraction", 1.5), "skip.json"),
                ["pipeline.skip_bad_fraction", "1.5"]),
            FieldCase(
                "crop and flip within the image train",
                [
                    "train", try write(edited(images(), "pipeline", "augmentations", [["flip": 0.5], ["crop_padding": 2]]), "ok.json"),
                    "--run-dir", directory.path("ok").path, "--quiet", "--json",
                ], status: 0, ["estimated_peak_bytes"]),
        ]
        try assertRows(rows)
    }

    /// Sizes from files and flags are multiplied with overflow checks and compared with the
    /// memory before anything is allocated; `--memory-limit` sets the limit.
    func testSizesBeyondTheMemoryAreRefusedNamingBothFigures() throws {
        let plain = try write(table(), "table.json")
        let wide = try write(layers(images()) { $0.insert(["type": "dense", "units": 100_000], at: 2) }, "wide.json")
        let rows = [
            refused(
                "a run over --memory-limit", plain, ["--memory-limit", "1.0 MiB (1048576 bytes)", "the run needs an estimated"],
                extra: ["--memory-limit", "1MB"]),
            refused(
                "parameters within, the run over the limit", wide, ["the run needs an estimated", "60.0 MiB", "prefetched batches"],
                extra: ["--memory-limit", "60MB"]),
            refused(
                "dense units beyond any memory", try write(layers(table()) { $0[0]["units"] = 1_000_000_000_000_000 }, "units.json"),
                ["model.layers[0].units", "parameters"]),
            refused(
                "filters whose count overflows", try write(layers(images()) { $0[0]["filters"] = 4_000_000_000_000_000_000 }, "filters.json"),
                ["model.layers[0].filters", "overflows 64 bits"]),
            FieldCase(
                "memory limit zero", ["train", plain, "--memory-limit", "0"], status: 1, ["--memory-limit", "zero bytes"],
                unchanged: [directory.url.path]),
            FieldCase(
                "memory limit not a number", ["train", plain, "--memory-limit", "nan"], status: 1, ["--memory-limit", "'nan'"],
                unchanged: [directory.url.path]),
            FieldCase("gemm size beyond the memory", ["bench", "gemm", "--sizes", "99999999"], status: 1, ["99999999 product", "more than the"]),
            FieldCase("gemm shape overflowing", ["bench", "gemm", "--shapes", "4000000000x4000000000x8"], status: 1, ["overflows 64 bits"]),
            FieldCase(
                "checkpoint parameters beyond the memory", ["bench", "checkpoint", "--parameters", "1000000000000"], status: 1,
                ["--parameters 1000000000000", "more than the"]),
            FieldCase("checkpoint parameters 0", ["bench", "checkpoint", "--parameters", "0"], status: 1, ["--parameters"]),
            FieldCase(
                "bench train batch beyond the memory", ["bench", "train", "--batch-size", "99999999"], status: 1,
                ["--batch-size 99999999", "more than the"]),
            FieldCase(
                "bench csv chunk beyond the memory", ["bench", "csv", csv, "--chunk-bytes", "9000000000000000000"], status: 1,
                ["--chunk-bytes", "overflows 64 bits"]),
        ]
        try assertRows(rows)
    }

    /// `evaluate`, `predict` and `train --validation` refuse data of another kind, column count
    /// or image size than the model's before any step, naming both shapes.
    func testDataOfAnotherShapeThanTheModelIsRefused() throws {
        let tableModel = directory.path("table-run").path
        let imageModel = directory.path("image-run").path
        let tablePipeline = try write(table(), "table.json")
        let imagePipeline = try write(images(), "images.json")
        for (pipeline, run) in [(tablePipeline, tableModel), (imagePipeline, imageModel)] {
            let trained = try BuiltProducts.run(BuiltProducts.executable("millrace"), ["train", pipeline, "--run-dir", run, "--quiet"])
            XCTAssertEqual(trained.status, 0, trained.errors)
        }
        let png = "\(largeImages!)/0/a.png"
        let digit = digits + "/3/0003.png"
        let same = [tableModel, imageModel]
        let rows = [
            FieldCase(
                "evaluate an image model on a CSV", ["evaluate", imageModel + "/checkpoints", "--data", csv], status: 1,
                ["8x8 images", "table (CSV)"], unchanged: same),
            FieldCase(
                "evaluate a table model on images", ["evaluate", tableModel + "/checkpoints", "--data", digits], status: 1,
                ["2 features", "image data"], unchanged: same),
            FieldCase(
                "evaluate on another column count", ["evaluate", tableModel + "/checkpoints", "--data", wideCSV], status: 1, ["[3]", "[2]"],
                unchanged: same),
            FieldCase(
                "evaluate on larger images", ["evaluate", imageModel + "/checkpoints", "--data", largeImages], status: 1,
                ["[1, 16, 16]", "[1, 8, 8]", "dataset.size"], unchanged: same),
            FieldCase(
                "predict a larger image", ["predict", imageModel + "/checkpoints", png], status: 1, ["[1, 16, 16]", "[1, 8, 8]"], unchanged: same),
            FieldCase(
                "predict CSV rows with an image model", ["predict", imageModel + "/checkpoints", csv], status: 1, ["table (CSV)"], unchanged: same),
            FieldCase(
                "predict an image with a table model", ["predict", tableModel + "/checkpoints", digit], status: 1, ["image data"], unchanged: same),
            FieldCase(
                "predict rows of another width", ["predict", tableModel + "/checkpoints", wideCSV], status: 1, ["[3]", "[2]"], unchanged: same),
            FieldCase("predict a digit of the training size", ["predict", imageModel + "/checkpoints", digit], status: 0, ["0003.png"]),
            refused(
                "validation table of another width", tablePipeline, ["dataset.validation_path", "[3]", "[2]"], extra: ["--validation", wideCSV]),
            refused(
                "validation images of another size", imagePipeline, ["dataset.validation_path", "[1, 16, 16]", "[1, 8, 8]"],
                extra: ["--validation", largeImages]),
            refused(
                "validation CSV for an image model", imagePipeline, ["dataset.validation_path", "features per row"], extra: ["--validation", csv]),
        ]
        try assertRows(rows)
    }
}
