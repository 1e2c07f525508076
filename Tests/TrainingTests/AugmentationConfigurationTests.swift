import DataPipeline
import Foundation
import ImageFormats
import Training
import XCTest

/// The torchvision-style augmentation keys and the antialiased sizing in pipeline files: what
/// they become, and each bad value as one error naming its key path.
final class AugmentationConfigurationTests: XCTestCase {
    private func file(augmentations: String, sizing: String? = nil) -> String {
        let dataset = sizing.map { #"{"kind": "image-folder", "path": "x", "size": [8, 8], "sizing": "\#($0)"}"# } ?? #"{"kind": "xor"}"#
        return #"{"name": "x", "dataset": \#(dataset), "pipeline": {"batch_size": 2, "augmentations": \#(augmentations)}, "#
            + #""model": {"layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}, "loss": "cross-entropy", "#
            + #""optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 1}"#
    }

    private func decoded(_ augmentations: String, sizing: String? = nil) throws(RunConfigurationError) -> RunConfiguration {
        try RunConfiguration.decode(Data(file(augmentations: augmentations, sizing: sizing).utf8), path: "p.json")
    }

    private func error(_ augmentations: String) -> RunConfigurationError? {
        do {
            _ = try decoded(augmentations)
            return nil
        } catch {
            return error
        }
    }

    func testTheKeysBecomeTorchvisionsTransformsWithTheLeadingNormalization() throws {
        let configuration = try decoded(
            #"[{"normalize": {"mean": [0.5], "std": [0.25]}}, {"random_resized_crop": {}}, "#
                + #"{"random_resized_crop": {"scale": [0.25, 0.75], "ratio": [0.5, 2]}}, "#
                + #"{"color_jitter": {"brightness": 0.4, "saturation": 0.2}}, {"rotation": 12.5}]"#)
        let normalization = Normalization(mean: [0.5], standardDeviation: [0.25])
        XCTAssertEqual(
            configuration.pipeline.sampleTransforms,
            [
                .normalize(mean: [0.5], standardDeviation: [0.25]),
                .randomResizedCrop(.init(scale: 0.08...1, ratio: 0.75...(4.0 / 3.0))),
                .randomResizedCrop(.init(scale: 0.25...0.75, ratio: 0.5...2)),
                .colorJitter(.init(brightness: 0.4, contrast: 0, saturation: 0.2, normalization: normalization)),
                .randomRotation(.init(degrees: 12.5, normalization: normalization)),
            ])
        // Without normalize, nothing to undo.
        let plain = try decoded(#"[{"color_jitter": {"contrast": 0.3}}, {"rotation": 5}]"#)
        XCTAssertEqual(plain.pipeline.sampleTransforms, [.colorJitter(.init(contrast: 0.3)), .randomRotation(.init(degrees: 5))])
    }

    func testBadValuesNameTheirKeyPath() {
        let rows: [(String, String, [String])] = [
            (#"[{"random_resized_crop": {"scale": [0, 1]}}]"#, "pipeline.augmentations[0].random_resized_crop.scale", ["0 < low <= high <= 1"]),
            (#"[{"random_resized_crop": {"scale": [0.9, 0.2]}}]"#, "pipeline.augmentations[0].random_resized_crop.scale", ["[0.9, 0.2]"]),
            (#"[{"random_resized_crop": {"scale": [0.5, 1.5]}}]"#, "pipeline.augmentations[0].random_resized_crop.scale", ["1.5"]),
            (#"[{"random_resized_crop": {"ratio": [1]}}]"#, "pipeline.augmentations[0].random_resized_crop.ratio", ["[1.0]"]),
            (#"[{"random_resized_crop": {"ratio": [-1, 1]}}]"#, "pipeline.augmentations[0].random_resized_crop.ratio", ["0 < low"]),
            (#"[{"random_resized_crop": {"size": 224}}]"#, "pipeline.augmentations[0].random_resized_crop.size", ["unknown key"]),
            (#"[{"color_jitter": {}}]"#, "pipeline.augmentations[0].color_jitter", ["changes nothing"]),
            (#"[{"color_jitter": {"brightness": 0, "contrast": 0}}]"#, "pipeline.augmentations[0].color_jitter", ["changes nothing"]),
            (#"[{"color_jitter": {"brightness": -0.2}}]"#, "pipeline.augmentations[0].color_jitter.brightness", ["-0.2", "0 or more"]),
            (#"[{"color_jitter": {"hue": 0.1}}]"#, "pipeline.augmentations[0].color_jitter.hue", ["unknown key"]),
            (#"[{"flip": 0.5}, {"rotation": 200}]"#, "pipeline.augmentations[1].rotation", ["200", "[0, 180]"]),
            (#"[{"rotation": -5}]"#, "pipeline.augmentations[0].rotation", ["-5"]),
            (#"[{"rotation": 5, "color_jitter": {"brightness": 0.1}}]"#, "pipeline.augmentations[0]", ["color_jitter, rotation"]),
        ]
        for (augmentations, key, needles) in rows {
            let failure = error(augmentations)
            XCTAssertEqual(failure?.key, key, augmentations)
            for needle in needles { XCTAssertTrue(failure?.description.contains(needle) == true, "\(needle): \(String(describing: failure))") }
        }
        // The list of keys an entry may have names the new ones.
        XCTAssertTrue(error(#"[{}]"#)?.fix.contains("random_resized_crop, color_jitter, rotation") == true, "\(String(describing: error("[{}]")))")
    }

    /// Image augmentations on table rows, and colour jitter on other than 1 or 3 channels, are
    /// refused against the data with the key path and the fix.
    func testTheDataChecksRefuseWhatCannotApply() throws {
        let configuration = try decoded(#"[{"flip": 0.5}, {"color_jitter": {"brightness": 0.4}}]"#)
        let rgba = DataSummary(sampleCount: 4, classCount: 2, sampleShape: [4, 8, 8])
        XCTAssertThrowsError(try configuration.validate(against: rgba)) { error in
            let failure = error as? RunConfigurationError
            XCTAssertEqual(failure?.key, "pipeline.augmentations[1].color_jitter")
            XCTAssertTrue(failure?.reason.contains("the images have 4") == true, "\(String(describing: failure))")
            XCTAssertTrue(failure?.fix.contains("dataset.channels") == true, "\(String(describing: failure))")
        }
        for channels in [1, 3] {
            XCTAssertNoThrow(try configuration.validate(against: DataSummary(sampleCount: 4, classCount: 2, sampleShape: [channels, 8, 8])))
        }
        for (entry, key) in [
            (#"{"random_resized_crop": {}}"#, "random_resized_crop"), (#"{"color_jitter": {"brightness": 0.4}}"#, "color_jitter"),
            (#"{"rotation": 10}"#, "rotation"),
        ] {
            let table = try decoded("[\(entry)]")
            XCTAssertThrowsError(try table.validate(against: DataSummary(sampleCount: 4, classCount: 2, sampleShape: [5]))) { error in
                XCTAssertEqual((error as? RunConfigurationError)?.key, "pipeline.augmentations[0].\(key)")
                XCTAssertTrue((error as? RunConfigurationError)?.reason.contains("applies to images") == true, "\(error)")
            }
        }
    }

    func testResizeAntialiasedIsASizingWordAndTodaysResizeKeepsItsMeaning() throws {
        XCTAssertEqual(try decoded("[]", sizing: "resize-antialiased").dataset.imageSizing, .resizeAntialiased)
        XCTAssertEqual(try decoded("[]", sizing: "resize").dataset.imageSizing, .resize)
        XCTAssertEqual(try decoded("[]", sizing: "center-crop").dataset.imageSizing, .centerCrop)
        XCTAssertEqual(ImageSizingChoice.allowedWords, "resize, center-crop, resize-antialiased")
        // Checkpoints record the sizing by these names: today's two keep theirs.
        XCTAssertEqual(ImageSizing.resize.rawValue, "resize")
        XCTAssertEqual(ImageSizing.centerCrop.rawValue, "centerCrop")
        XCTAssertEqual(ImageSizing.resizeAntialiased.rawValue, "resizeAntialiased")
    }
}
