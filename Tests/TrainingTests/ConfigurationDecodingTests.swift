import Dispatch
import Foundation
import ImageFormats
import TestSupport
import Training
import XCTest

/// Pipeline files decode into typed configurations; bad keys and words name the key and list
/// what is allowed; the saved JSON decodes back to the same configuration.
final class ConfigurationDecodingTests: XCTestCase {
    private let valid =
        #"{"name": "x", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 0}, "model": {"layers": [{"type": "dense", "units": 3}, {"type": "sigmoid"}, {"type": "dense", "units": 1}]}, "loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 1}, "epochs": 1, "seed": 1}"#

    private func decodingError(_ text: String) -> RunConfigurationError? {
        do {
            _ = try RunConfiguration.decode(Data(text.utf8), path: "test.json")
            return nil
        } catch {
            return error
        }
    }

    func testTheValidFileDecodes() throws {
        let configuration = try RunConfiguration.decode(Data(valid.utf8), path: "test.json")
        XCTAssertEqual(configuration.dataset.kind, .xor)
        XCTAssertEqual(configuration.model.layers.map(\.type), ["dense", "sigmoid", "dense"])
        XCTAssertEqual((configuration.model.layers[0].specification as? DenseSpecification)?.units, 3)
        XCTAssertTrue(configuration.optimizer.settings is SGDSpecification)
    }

    func testExifOrientationIsIgnoredUnlessApplied() throws {
        XCTAssertEqual(try RunConfiguration.decode(Data(valid.utf8), path: "test.json").dataset.imageOrientation, .ignore)
        for (word, expected) in [("ignore", ExifOrientation.ignore), ("apply", .apply)] {
            let text = valid.replacingOccurrences(of: #""kind": "xor""#, with: #""kind": "xor", "exif_orientation": "\#(word)""#)
            let configuration = try RunConfiguration.decode(Data(text.utf8), path: "test.json")
            XCTAssertEqual(configuration.dataset.imageOrientation, expected)
            XCTAssertTrue(configuration.jsonText().contains(#""exif_orientation" : "\#(word)""#), configuration.jsonText())
        }
    }

    func testUnknownKeysListTheAllowedKeysOfTheirObject() {
        let cases: [(String, String, String)] = [
            (
                valid.replacingOccurrences(of: #""kind": "xor""#, with: #""kind": "xor", "colour": 1"#), "dataset.colour",
                "categorical_columns, categories, channels, exif_orientation, ignore_columns, kind, label_column, labels, missing, "
                    + "normalize_targets, path, size, sizing, target_columns, validation_path, validation_split"
            ),
            (
                valid.replacingOccurrences(of: #"{"type": "dense", "units": 3}"#, with: #"{"type": "dense", "units": 3, "kernel": 3}"#),
                "model.layers[0].kernel", "bias, initializer, type, units, weights"
            ),
            (valid.replacingOccurrences(of: #"{"type": "sigmoid"}"#, with: #"{"type": "sigmoid", "units": 3}"#), "model.layers[1].units", "type"),
            (
                valid.replacingOccurrences(of: #""learning_rate": 1"#, with: #""learning_rate": 1, "beta1": 0.9"#), "optimizer.beta1",
                "gradient_clipping, learning_rate, momentum, nesterov, no_weight_decay, type, weight_decay"
            ),
            (
                valid.replacingOccurrences(of: #""epochs": 1"#, with: #""epoch": 1, "epochs": 1"#), "epoch",
                "checkpoint, dataset, early_stopping, epochs, label_smoothing, logging, loss, model, name, optimizer, pipeline, schedule, seed"
            ),
        ]
        for (text, key, allowed) in cases {
            let error = decodingError(text)
            XCTAssertEqual(error?.key, key)
            XCTAssertEqual(error?.reason, "unknown key")
            XCTAssertEqual(error?.fix, "use one of: \(allowed)")
            XCTAssertEqual(error?.path, "test.json")
        }
    }

    func testUnknownWordsListTheAllowedWords() {
        let cases: [(String, String, String, String)] = [
            (#""kind": "xor""#, #""kind": "xor", "channels": "grey""#, "dataset.channels", "gray, rgb, rgba"),
            (#""kind": "xor""#, #""kind": "xor", "sizing": "crop""#, "dataset.sizing", "resize, center-crop, resize-antialiased"),
            (#""kind": "xor""#, #""kind": "xor", "exif_orientation": "rotate""#, "dataset.exif_orientation", "ignore, apply"),
            (#""kind": "xor""#, #""kind": "xor", "labels": "names""#, "dataset.labels", "numeric, text"),
            (#""kind": "xor""#, #""kind": "folder""#, "dataset.kind", "image-folder, csv, packed, xor"),
            (
                #""loss": "mse""#, #""loss": "hinge""#, "loss",
                "binary-cross-entropy-with-logits, cross-entropy, huber, mean-absolute-error, mean-squared-error, mse, sum-of-squares"
            ),
            (#""type": "sgd""#, #""type": "rmsprop""#, "optimizer.type", "adam, adamw, sgd"),
            (#""epochs": 1"#, #""epochs": 1, "schedule": {"type": "linear"}"#, "schedule.type", "constant, step, cosine, one-cycle"),
            (
                #""epochs": 1"#, #""epochs": 1, "checkpoint": {"metric": "accuracy_validation"}"#, "checkpoint.metric",
                "validation_accuracy, validation_loss, loss, accuracy"
            ),
            (#""units": 3}"#, #""units": 3, "initializer": "glorot"}"#, "model.layers[0].initializer", "default, xavier, he"),
        ]
        for (original, replacement, key, allowed) in cases {
            let error = decodingError(valid.replacingOccurrences(of: original, with: replacement))
            XCTAssertEqual(error?.key, key, replacement)
            XCTAssertTrue(error?.reason.hasPrefix("unknown") == true && error?.reason.contains("'") == true, "\(String(describing: error))")
            // A registry's list goes on with how to register a type of one's own.
            XCTAssertEqual(error?.fix.components(separatedBy: "; ").first, "use one of: \(allowed)", replacement)
            if ["loss", "optimizer.type"].contains(key) {
                let registry = key == "loss" ? "LossRegistry" : "OptimizerRegistry"
                XCTAssertTrue(error?.fix.contains("`\(registry).register(\"") == true, "\(String(describing: error))")
            }
        }
        let layer = decodingError(valid.replacingOccurrences(of: #""sigmoid""#, with: #""sigmoidd""#))
        XCTAssertEqual(layer?.key, "model.layers[1].type")
        XCTAssertEqual(layer?.reason, "unknown layer type 'sigmoidd'")
        // Every built-in type is listed (layers registered by other tests may be listed too).
        let fix = layer?.fix ?? ""
        XCTAssertTrue(fix.hasPrefix("use one of: "), fix)
        let list = fix.dropFirst("use one of: ".count).components(separatedBy: "; ")[0]
        let listed = Set(list.components(separatedBy: ", "))
        XCTAssertTrue(fix.contains("`LayerRegistry.register(\"sigmoidd\", ...)`"), fix)
        for name in [
            "avgpool", "batchnorm", "conv2d", "dense", "dropout", "flatten", "global-avgpool", "maxpool", "relu", "sigmoid", "softmax", "tanh",
        ] {
            XCTAssertTrue(listed.contains(name), "\(name) is not listed in: \(fix)")
        }
    }

    func testMisfitNumbersNameTheirKey() {
        let fraction = decodingError(valid.replacingOccurrences(of: #""epochs": 1"#, with: #""epochs": 1.5"#))
        XCTAssertEqual(fraction?.key, "epochs")
        XCTAssertTrue(fraction?.reason.contains("1.5") == true, "\(String(describing: fraction))")
        let huge = decodingError(valid.replacingOccurrences(of: #""learning_rate": 1"#, with: #""learning_rate": 1e39"#))
        XCTAssertEqual(huge?.key, "optimizer.learning_rate")
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        // The second comma of `[1,,2]` is byte 25: line 3 (after two newlines), column 10.
        let error = decodingError("{\n \"name\": \"x\",\n \"a\": [1,,2]\n}")
        XCTAssertTrue(error?.reason.hasPrefix("not valid JSON at line 3, column 10 (byte 25)") == true, "\(String(describing: error))")
    }

    func testFilesLargerThanOneMebibyteAreRefusedBeforeParsing() {
        let large = Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
        let error = decodingError(String(decoding: large, as: UTF8.self))
        XCTAssertEqual(error?.key, nil)
        XCTAssertTrue(error?.reason.contains("larger than 1048576 bytes") == true, "\(String(describing: error))")
        XCTAssertNotNil(
            try? RunConfiguration.decode(Data((valid + String(repeating: " ", count: (1 << 20) - valid.utf8.count)).utf8), path: "edge.json"))
    }

    func testShippedPipelinesSurviveTheRoundTripThroughTheirSavedJSON() throws {
        let root = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        for name in ["digits-mlp", "digits-cnn", "digits-csv", "xor-seed"] {
            let path = root.appendingPathComponent("pipelines/\(name).json").path
            let configuration = try RunConfiguration.load(path: path)
            let again = try RunConfiguration.decode(Data(configuration.jsonText().utf8), path: "saved")
            XCTAssertEqual(again, configuration, name)
            XCTAssertEqual(again.jsonText(), configuration.jsonText(), name)
        }
        let seed = try RunConfiguration.load(path: root.appendingPathComponent("pipelines/xor-seed.json").path)
        let dense = try XCTUnwrap(seed.model.layers[0].specification as? DenseSpecification)
        XCTAssertEqual(dense.weights?[1], [0.3964, 0.3839, 0.7324])
        XCTAssertEqual(seed.checkpoint?.everyEpochs, 100)
        XCTAssertEqual(seed.logging?.printLossEvery, 50)
    }

    func testRegistrationIsSafeFromManyThreads() {
        let registry = NameRegistry<Int>(["zero": 0])
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            registry.register("entry-\(index)", index)
            _ = registry.names
            _ = registry.entry(named: "zero")
        }
        XCTAssertEqual(registry.names.count, 65)
        XCTAssertEqual(registry.entry(named: "entry-7"), 7)
        XCTAssertEqual(registry.entry(named: "zero"), 0)
    }
}
