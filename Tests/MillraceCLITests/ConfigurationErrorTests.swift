import Foundation
import TestSupport
import XCTest

/// Every bad value in a pipeline file or on the command line ends `millrace` with status 1 and
/// one `error:` line naming the key or option and the value: never a trap, never a silent default.
/// The errors come before training, so each row is a short process.
final class ConfigurationErrorTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!
    private var csv: String!

    /// The repository root.
    private let root = Fixtures.repositoryRoot.path

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        csv = directory.path("small.csv").path
        // 9 rows, 2 features, 3 classes.
        let rows = (0..<9).map { "\($0),\($0 % 4),\($0 % 3)" }
        try (["a,b,label"] + rows).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
    }

    /// A valid table pipeline: dense-relu-dense on the small CSV, batches of 4.
    private func tablePipeline() -> [String: Any] {
        [
            "name": "table", "dataset": ["kind": "csv", "path": csv!] as [String: Any],
            "pipeline": ["batch_size": 4, "threads": 1] as [String: Any],
            "model": ["layers": [["type": "dense", "units": 8], ["type": "relu"], ["type": "dense"]]],
            "loss": "cross-entropy", "optimizer": ["type": "sgd", "learning_rate": 0.1] as [String: Any], "epochs": 1, "seed": 1,
        ]
    }

    /// A valid image pipeline: conv-pool-dense on datasets/digits (8x8 gray).
    private func imagePipeline() -> [String: Any] {
        var pipeline = tablePipeline()
        pipeline["dataset"] = ["kind": "image-folder", "path": root + "/datasets/digits", "channels": "gray"]
        pipeline["model"] = [
            "layers": [["type": "conv2d", "filters": 4, "kernel": 3, "padding": 1], ["type": "maxpool", "kernel": 2], ["type": "dense"]]
        ]
        return pipeline
    }

    private typealias Edit = (inout [String: Any]) -> Void

    private static func section(_ name: String, _ key: String, _ value: Any) -> Edit {
        { pipeline in
            var object = pipeline[name] as? [String: Any] ?? [:]
            object[key] = value
            pipeline[name] = object
        }
    }

    private static func layers(_ body: @escaping (inout [[String: Any]]) -> Void) -> Edit {
        { pipeline in
            var model = pipeline["model"] as! [String: Any]
            var layers = model["layers"] as! [[String: Any]]
            body(&layers)
            model["layers"] = layers
            pipeline["model"] = model
        }
    }

    private static func augmentation(_ entry: [String: Any]) -> Edit {
        section("pipeline", "augmentations", [entry])
    }

    private static func normalize(_ mean: [Double], _ std: [Double]) -> Edit {
        augmentation(["normalize": ["mean": mean, "std": std]])
    }

    /// (description, image data?, edit, text the error line must hold)
    private let fileRows: [(String, Bool, Edit, [String])] = [
        ("dropout 1", false, layers { $0.insert(["type": "dropout", "probability": 1], at: 1) }, ["model.layers[1].probability", "1.0"]),
        (
            "dropout negative", false, layers { $0.insert(["type": "dropout", "probability": -0.25], at: 1) },
            ["model.layers[1].probability", "-0.25"]
        ),
        ("conv kernel 0", true, layers { $0[0]["kernel"] = 0 }, ["model.layers[0].kernel", "0"]),
        ("conv kernel negative", true, layers { $0[0]["kernel"] = -3 }, ["model.layers[0].kernel", "-3"]),
        ("conv stride 0", true, layers { $0[0]["stride"] = 0 }, ["model.layers[0].stride", "0"]),
        ("conv padding negative", true, layers { $0[0]["padding"] = -1 }, ["model.layers[0].padding", "-1"]),
        ("maxpool kernel 0", true, layers { $0[1]["kernel"] = 0 }, ["model.layers[1].kernel", "0"]),
        ("maxpool stride negative", true, layers { $0[1]["stride"] = -2 }, ["model.layers[1].stride", "-2"]),
        ("avgpool kernel 0", true, layers { $0[1] = ["type": "avgpool", "kernel": 0] }, ["model.layers[1].kernel", "0"]),
        ("dense units 0", false, layers { $0[0]["units"] = 0 }, ["model.layers[0].units", "0"]),
        ("dense units negative", false, layers { $0[0]["units"] = -8 }, ["model.layers[0].units", "-8"]),
        ("last dense narrower than the classes", false, layers { $0[2]["units"] = 2 }, ["model.layers[2].units", "2", "3 classes"]),
        (
            "squared error of the wrong width", false,
            {
                $0["loss"] = "mse"
                layers { $0[2]["units"] = 2 }(&$0)
            }, ["model.layers[2].units", "2", "3 classes"]
        ),
        ("model ends in pooling", true, layers { $0.removeLast() }, ["model.layers", "[4, 4, 4]", "cross-entropy"]),
        ("conv on a table", false, layers { $0.insert(["type": "conv2d", "filters": 2], at: 0) }, ["model.layers[0]", "conv2d", "[2]"]),
        (
            "kernel larger than the image", true, layers { $0[0]["kernel"] = 11 },
            ["model.layers[0]", "11x11 kernel"]
        ),
        ("batchnorm with a last batch of 1", false, layers { $0.insert(["type": "batchnorm"], at: 1) }, ["pipeline.batch_size", "4", "batchnorm"]),
        ("nesterov without momentum", false, section("optimizer", "nesterov", true), ["optimizer.nesterov", "true", "momentum"]),
        ("learning rate negative", false, section("optimizer", "learning_rate", -0.5), ["optimizer.learning_rate", "-0.5"]),
        ("learning rate 0", false, section("optimizer", "learning_rate", 0), ["optimizer.learning_rate", "0.0"]),
        ("learning rate beyond Float", false, section("optimizer", "learning_rate", 1e39), ["optimizer.learning_rate", "1e+39"]),
        ("momentum negative", false, section("optimizer", "momentum", -0.9), ["optimizer.momentum", "-0.9"]),
        ("weight decay negative", false, section("optimizer", "weight_decay", -0.01), ["optimizer.weight_decay", "-0.01"]),
        ("unknown optimizer", false, section("optimizer", "type", "sgdd"), ["optimizer.type", "sgdd", "adam, adamw, sgd"]),
        (
            "unknown loss", false, { $0["loss"] = "hinge" },
            ["loss", "hinge", "cross-entropy, huber, mean-absolute-error, mean-squared-error, mse, sum-of-squares"]
        ),
        ("unknown schedule", false, { $0["schedule"] = ["type": "linear"] }, ["schedule.type", "linear", "constant, step, cosine"]),
        ("unknown dataset kind", false, section("dataset", "kind", "folder"), ["dataset.kind", "folder", "image-folder, csv, packed, xor"]),
        ("unknown channels", false, section("dataset", "channels", "grey"), ["dataset.channels", "grey", "gray, rgb, rgba"]),
        ("unknown sizing", false, section("dataset", "sizing", "crop"), ["dataset.sizing", "crop", "resize, center-crop"]),
        ("unknown labels", false, section("dataset", "labels", "names"), ["dataset.labels", "names", "numeric, text"]),
        ("unknown checkpoint metric", false, section("checkpoint", "metric", "acc"), ["checkpoint.metric", "acc", "validation_accuracy"]),
        ("unknown layer", false, layers { $0[1]["type"] = "rellu" }, ["model.layers[1].type", "rellu", "relu"]),
        ("step every 0", false, { $0["schedule"] = ["type": "step", "every": 0] }, ["schedule.every", "0"]),
        ("step factor 0", false, { $0["schedule"] = ["type": "step", "factor": 0] }, ["schedule.factor", "0.0"]),
        ("step factor negative", false, { $0["schedule"] = ["type": "step", "factor": -0.5] }, ["schedule.factor", "-0.5"]),
        ("checkpoint every_steps 0", false, section("checkpoint", "every_steps", 0), ["checkpoint.every_steps", "0"]),
        ("checkpoint every_epochs negative", false, section("checkpoint", "every_epochs", -1), ["checkpoint.every_epochs", "-1"]),
        ("logging every_steps 0", false, section("logging", "every_steps", 0), ["logging.every_steps", "0"]),
        ("print_loss_every 0", false, section("logging", "print_loss_every", 0), ["logging.print_loss_every", "0"]),
        ("batch size negative", false, section("pipeline", "batch_size", -1), ["pipeline.batch_size", "-1"]),
        ("threads 0", false, section("pipeline", "threads", 0), ["pipeline.threads", "0"]),
        ("threads negative", false, section("pipeline", "threads", -2), ["pipeline.threads", "-2"]),
        ("prefetch 0", false, section("pipeline", "prefetch", 0), ["pipeline.prefetch", "0"]),
        ("window_chunks 0", false, section("pipeline", "window_chunks", 0), ["pipeline.window_chunks", "0"]),
        ("unknown order", false, section("pipeline", "order", "random"), ["pipeline.order", "random", "shuffle, page_aware"]),
        (
            "window_pages 0", false,
            {
                section("pipeline", "order", "page_aware")(&$0)
                section("pipeline", "window_pages", 0)(&$0)
            },
            ["pipeline.window_pages", "0", "1 or more"]
        ),
        ("window_pages without page_aware", false, section("pipeline", "window_pages", 64), ["pipeline.window_pages", "order page_aware"]),
        (
            "page_aware without shuffling", false,
            {
                section("pipeline", "order", "page_aware")(&$0)
                section("pipeline", "shuffle", false)(&$0)
            },
            ["pipeline.order", "page_aware", "shuffle is false"]
        ),
        (
            "page_aware on an image folder", true, section("pipeline", "order", "page_aware"),
            ["pipeline.order", "page_aware needs a decoded pack", "millrace pack --decoded"]
        ),
        ("epochs 0", false, { $0["epochs"] = 0 }, ["epochs", "0"]),
        ("epochs negative", false, { $0["epochs"] = -3 }, ["epochs", "-3"]),
        ("validation_split 1", false, section("dataset", "validation_split", 1.0), ["dataset.validation_split", "1.0"]),
        ("validation_split negative", false, section("dataset", "validation_split", -0.2), ["dataset.validation_split", "-0.2"]),
        ("keep_last negative", false, section("checkpoint", "keep_last", -1), ["checkpoint.keep_last", "-1"]),
        ("keep_best negative", false, section("checkpoint", "keep_best", -2), ["checkpoint.keep_best", "-2"]),
        ("normalize empty", false, normalize([], []), ["pipeline.augmentations[0].normalize.mean", "[]"]),
        ("normalize std 0", false, normalize([0], [0]), ["pipeline.augmentations[0].normalize.std", "[0.0]"]),
        ("normalize std negative", false, normalize([0], [-1]), ["pipeline.augmentations[0].normalize.std", "[-1.0]"]),
        ("normalize lengths differ", false, normalize([0, 0], [1]), ["pipeline.augmentations[0].normalize.std", "[1.0]", "as many values as mean"]),
        (
            "normalize length fits no channel count", false, normalize([0, 0, 0], [1, 1, 1]),
            ["pipeline.augmentations[0].normalize.mean", "[0.0, 0.0, 0.0]", "(2)"]
        ),
        (
            "normalize length fits no image channel count", true, normalize([0, 0, 0], [1, 1, 1]),
            ["pipeline.augmentations[0].normalize.mean", "1 channel"]
        ),
        ("augmentation empty", false, augmentation([:]), ["pipeline.augmentations[0]", "no transform"]),
        (
            "augmentation with two transforms", false, augmentation(["flip": 0.5, "crop_padding": 2]),
            ["pipeline.augmentations[0]", "flip, crop_padding"]
        ),
        ("flip above 1", false, augmentation(["flip": 1.5]), ["pipeline.augmentations[0].flip", "1.5"]),
        ("flip negative", false, augmentation(["flip": -0.5]), ["pipeline.augmentations[0].flip", "-0.5"]),
        ("crop_padding negative", false, augmentation(["crop_padding": -4]), ["pipeline.augmentations[0].crop_padding", "-4"]),
        ("unknown key", false, section("pipeline", "batchsize", 4), ["pipeline.batchsize", "unknown key", "batch_size"]),
        ("early stopping patience 0", false, { $0["early_stopping"] = ["metric": "loss", "patience": 0] }, ["early_stopping.patience", "0"]),
        ("early stopping without patience", false, { $0["early_stopping"] = ["metric": "loss"] }, ["early_stopping.patience", "missing"]),
        (
            "early stopping min_delta negative", false, { $0["early_stopping"] = ["metric": "loss", "patience": 2, "min_delta": -0.5] },
            ["early_stopping.min_delta", "-0.5"]
        ),
        (
            "unknown early stopping metric", false, { $0["early_stopping"] = ["metric": "val_loss", "patience": 2] },
            ["early_stopping.metric", "val_loss", "validation_accuracy, validation_loss, loss, accuracy"]
        ),
        (
            "unknown early stopping key", false, { $0["early_stopping"] = ["monitor": "loss", "patience": 2] },
            ["early_stopping.monitor", "unknown key", "metric, min_delta, patience"]
        ),
        (
            "early stopping on validation loss without validation data", false, { $0["early_stopping"] = ["patience": 2] },
            ["early_stopping.metric", "validation_loss (the default)", "no validation data", "validation_split"]
        ),
        ("fractional integer", false, { $0["epochs"] = 2.5 }, ["epochs", "2.5"]),
    ]

    private func assertOneErrorLine(_ arguments: [String], _ needles: [String], _ label: String, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        let result = try BuiltProducts.run(millrace, arguments)
        XCTAssertEqual(result.status, 1, "\(label): \(result.errors)", file: file, line: line)
        let errorLines = result.errors.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errorLines.count, 1, "\(label): \(result.errors)", file: file, line: line)
        XCTAssertFalse(result.errors.contains("internal error"), "\(label): \(result.errors)", file: file, line: line)
        for needle in needles {
            XCTAssertTrue(errorLines.first?.contains(needle) == true, "\(label): '\(needle)' missing from \(result.errors)", file: file, line: line)
        }
    }

    func testEveryBadValueInAPipelineFileIsOneErrorLine() throws {
        // The unedited pipelines pass the checks (they fail later only for the unwritable run directory).
        for (index, (label, images, edit, needles)) in fileRows.enumerated() {
            var pipeline = images ? imagePipeline() : tablePipeline()
            edit(&pipeline)
            let path = directory.path("row-\(index).json").path
            try JSONSerialization.data(withJSONObject: pipeline).write(to: URL(fileURLWithPath: path))
            try assertOneErrorLine(["train", path, "--run-dir", directory.path("run-\(index)").path], [path] + needles, label)
        }
    }

    func testTheValidBasesTrain() throws {
        for (name, pipeline) in [("table", tablePipeline()), ("images", imagePipeline())] {
            let path = directory.path("\(name).json").path
            try JSONSerialization.data(withJSONObject: pipeline).write(to: URL(fileURLWithPath: path))
            let result = try BuiltProducts.run(millrace, ["train", path, "--run-dir", directory.path("run-\(name)").path, "--quiet", "--json"])
            XCTAssertEqual(result.status, 0, "\(name): \(result.errors)")
        }
    }

    func testEveryBadCommandLineValueIsOneErrorLine() throws {
        let path = directory.path("table.json").path
        try JSONSerialization.data(withJSONObject: tablePipeline()).write(to: URL(fileURLWithPath: path))
        let train = ["train", path, "--run-dir", directory.path("run").path]
        let rows: [([String], [String])] = [
            (["--threads", "0"], ["--threads", "0"]),
            (["--threads", "-1"], ["--threads", "-1"]),
            (["--epochs", "0"], ["--epochs", "0"]),
            (["--epochs", "-1"], ["--epochs", "-1"]),
            (["--batch-size", "-1"], ["--batch-size", "-1"]),
            (["--learning-rate", "nan"], ["--learning-rate", "nan"]),
            (["--learning-rate", "-0.1"], ["--learning-rate", "-0.1"]),
            (["--learning-rate", "inf"], ["--learning-rate", "inf"]),
            (["--checkpoint-every", "0"], ["--checkpoint-every", "0"]),
            (["--cache-budget", "nan"], ["--cache-budget", "nan"]),
            (["--cache-budget", "inf"], ["--cache-budget", "inf"]),
            (["--cache-budget", "-5MB"], ["--cache-budget", "-5MB"]),
            (["--cache-budget", "0"], ["--cache-budget", "'0'"]),
            (["--cache-budget", "0.0GB"], ["--cache-budget", "0.0GB"]),
            (["--cache-budget", "9999999999999GB"], ["--cache-budget", "9999999999999GB", "64 bits"]),
            (["--cache-budget", "99999999999999999999"], ["--cache-budget", "99999999999999999999"]),
            (["--cache-budget", "5XB"], ["--cache-budget", "5XB", "xb"]),
            (["--data", "/no/such/folder"], ["--data", "/no/such/folder"]),
            (["--data", "ftp://example.com/data"], ["--data", "ftp://example.com/data"]),
        ]
        for (options, needles) in rows {
            try assertOneErrorLine(train + options, needles, options.joined(separator: " "))
        }
        for size in ["nan", "inf", "-1", "0", "0samples", "-3samples", "99999999999999999999", "5ZB"] {
            try assertOneErrorLine(
                ["pack", csv, "--output", directory.path("packed").path, "--shard-size", size], ["--shard-size", "'\(size)'"], "pack \(size)")
        }
    }

    func testFileSystemErrorsAreUserErrorsNamingThePath() throws {
        let path = directory.path("table.json").path
        try JSONSerialization.data(withJSONObject: tablePipeline()).write(to: URL(fileURLWithPath: path))
        // A run directory inside a regular file cannot be created: the checkpoint store (its own
        // error type) and, with the checkpoints elsewhere, Foundation's error from the run directory.
        // (ENOTDIR: tests run as root, where permissions would not stop the writes.)
        let runDirectory = csv + "/run"
        let notAFolder = "\(csv!) is a file, not a folder"
        try assertOneErrorLine(["train", path, "--run-dir", runDirectory], [runDirectory, notAFolder], "checkpoints under a file")
        try assertOneErrorLine(
            ["train", path, "--run-dir", runDirectory, "--checkpoint-dir", directory.path("checkpoints").path],
            [runDirectory, notAFolder], "run directory under a file")
        try assertOneErrorLine(
            ["train", path, "--run-dir", directory.path("run").path, "--checkpoint-dir", csv + "/a/b"],
            [csv + "/a/b", "cannot create the checkpoint directory", notAFolder], "checkpoint directory under a file")
        try assertOneErrorLine(["train", directory.path("missing.json").path], ["missing.json", "no such file"], "missing pipeline file")
        try assertOneErrorLine(["train", directory.url.path], [directory.url.path, "a folder"], "a folder as the pipeline file")
    }

    /// Labels the training classes (0, 1, 2 in small.csv) lack, in validation or evaluation data:
    /// refused when the data is opened (before any training step), naming the file, line and
    /// column, the label and the model's classes.
    func testLabelsTheTrainingClassesLackAreRefusedNamingTheLine() throws {
        let path = directory.path("table.json").path
        try JSONSerialization.data(withJSONObject: tablePipeline()).write(to: URL(fileURLWithPath: path))
        func table(_ name: String, labels: [Int]) throws -> String {
            let file = directory.path(name).path
            try (["a,b,label"] + labels.enumerated().map { "\($0.offset),\($0.offset % 4),\($0.element)" }).joined(separator: "\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        let validation = try table("validation.csv", labels: [0, 1, 7, 2])  // label 7: line 4, column 3
        let refused = directory.path("refused").path
        try assertOneErrorLine(
            ["train", path, "--validation", validation, "--run-dir", refused], [validation + ":4:3", "label '7'", "3 classes (0, 1, 2)"],
            "validation")
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused + "/checkpoints/latest"))
        let metrics = (try? String(contentsOfFile: refused + "/metrics.jsonl", encoding: .utf8)) ?? ""
        XCTAssertFalse(metrics.contains("\"kind\":\"step\""), metrics)
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(millrace, ["train", path, "--run-dir", run, "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let other = try table("other.csv", labels: [0, 1, 2, 5, 1])  // label 5: line 5, column 3
        try assertOneErrorLine(
            ["evaluate", run + "/checkpoints", "--data", other], [other + ":5:3", "label '5'", "3 classes (0, 1, 2)"], "evaluate")
        let same = try table("same.csv", labels: [0, 1, 2, 2, 1])
        let evaluated = try BuiltProducts.run(millrace, ["evaluate", run + "/checkpoints", "--data", same, "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
    }
}
