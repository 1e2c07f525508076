import DataPipeline
import Foundation
import ImageFormats
import TestSupport
import XCTest

/// The augmentations' deterministic parts and the antialiased resize against torchvision's and
/// Pillow's outputs (`Tests/Fixtures/augmentation-oracle.json`, made by
/// `make_augmentation_oracle.py`).
final class AugmentationOracleTests: XCTestCase {
    private struct Oracle: Decodable {
        struct Crop: Decodable {
            var box: [Int]
            var output: [Float]
        }
        struct Jitter: Decodable {
            var image: String
            var chain: [[Value]]
            var output: [Float]
        }
        struct NormalizedJitter: Decodable {
            var chain: [[Value]]
            var output: [Float]
        }
        struct Rotation: Decodable {
            var angle: Float
            var output: [Float]
        }
        struct Resize: Decodable {
            var mode: String
            var sourceSize: [Int]
            var source: [UInt8]
            var size: [Int]
            var output: [UInt8]
        }
        struct Statistics: Decodable {
            var mean: [Float]
            var std: [Float]
        }
        /// A chain entry: an adjustment's name or its factor.
        enum Value: Decodable {
            case name(String)
            case number(Float)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let name = try? container.decode(String.self) { self = .name(name) } else { self = .number(try container.decode(Float.self)) }
            }
        }

        var imageShape: [Int]
        var image: [Float]
        var grayShape: [Int]
        var gray: [Float]
        var resizedCrop: [Crop]
        var jitter: [Jitter]
        var normalize: Statistics
        var normalizedJitter: [NormalizedJitter]
        var rotation: [Rotation]
        var normalizedRotation: Rotation
        var pillowResize: [Resize]
    }

    private static let oracle: Oracle? = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(Oracle.self, from: Fixtures.data("augmentation-oracle.json"))
    }()

    private func loadOracle() throws -> Oracle {
        try XCTUnwrap(Self.oracle, "Tests/Fixtures/augmentation-oracle.json did not decode")
    }

    private func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func adjustments(_ chain: [[Oracle.Value]]) -> [(adjustment: SampleTransform.ColorJitter.Adjustment, factor: Float)] {
        chain.compactMap { pair in
            guard case .name(let name) = pair[0], case .number(let factor) = pair[1] else { return nil }
            let adjustment: SampleTransform.ColorJitter.Adjustment = name == "brightness" ? .brightness : name == "contrast" ? .contrast : .saturation
            return (adjustment, factor)
        }
    }

    /// `resized_crop(image, top, left, h, w, [7, 9], BILINEAR, antialias=True)` for fixed boxes,
    /// within 2.5e-7 (measured: 6e-8, one rounding at values below 1; the crop is never larger
    /// than the output, so antialiasing changes only rounding).
    func testResizedCropMatchesTorchvision() throws {
        let oracle = try loadOracle()
        XCTAssertEqual(oracle.resizedCrop.count, 8)
        for crop in oracle.resizedCrop {
            let box = SampleTransform.ResizedCrop.Box(top: crop.box[0], left: crop.box[1], height: crop.box[2], width: crop.box[3])
            var output = [Float](repeating: .nan, count: oracle.image.count)
            oracle.image.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { SampleTransform.ResizedCrop.resample(box, of: source, shape: oracle.imageShape, into: $0) }
            }
            XCTAssertLessThanOrEqual(largestDifference(output, crop.output), 2.5e-7, "box \(crop.box)")
        }
        // The whole image is itself, bit for bit.
        XCTAssertEqual(oracle.resizedCrop[0].box, [0, 0, 7, 9])
        XCTAssertEqual(oracle.resizedCrop[0].output, oracle.image)
    }

    /// `adjust_brightness` / `adjust_contrast` / `adjust_saturation`, alone and chained, on RGB and
    /// gray images, within 5e-7 (measured: at most 1.8e-7).
    func testColorAdjustmentsMatchTorchvision() throws {
        let oracle = try loadOracle()
        XCTAssertEqual(oracle.jitter.count, 22)
        for (index, entry) in oracle.jitter.enumerated() {
            let (shape, image) = entry.image == "rgb" ? (oracle.imageShape, oracle.image) : (oracle.grayShape, oracle.gray)
            var values = image
            values.withUnsafeMutableBufferPointer { SampleTransform.ColorJitter().apply(adjustments(entry.chain), to: $0, shape: shape) }
            XCTAssertLessThanOrEqual(largestDifference(values, entry.output), 5e-7, "case \(index): \(entry.image) \(entry.chain)")
        }
    }

    /// With a leading normalisation the jitter undoes and redoes it: the result is
    /// `Normalize(ColorJitter(image))`, within 2e-6 (measured: 8.3e-7 on values up to about 2.6).
    func testColorJitterOnNormalizedSamplesIsJitterThenNormalize() throws {
        let oracle = try loadOracle()
        let normalization = Normalization(mean: oracle.normalize.mean, standardDeviation: oracle.normalize.std)
        let jitter = SampleTransform.ColorJitter(brightness: 0.5, normalization: normalization)
        for entry in oracle.normalizedJitter {
            var values = oracle.image
            values.withUnsafeMutableBufferPointer {
                normalization.apply(to: $0, shape: oracle.imageShape)
                jitter.apply(adjustments(entry.chain), to: $0, shape: oracle.imageShape)
            }
            XCTAssertLessThanOrEqual(largestDifference(values, entry.output), 2e-6, "\(entry.chain)")
        }
    }

    /// `rotate(image, angle, NEAREST, fill=0)`: every pixel is the same input pixel or the fill.
    func testRotationMatchesTorchvisionExactly() throws {
        let oracle = try loadOracle()
        XCTAssertEqual(oracle.rotation.map(\.angle), [0, 10, -7.5, 33.3, 90, -135, 179.9, -2])
        for entry in oracle.rotation {
            var output = [Float](repeating: .nan, count: oracle.image.count)
            oracle.image.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer {
                    SampleTransform.Rotation.rotate(source, shape: oracle.imageShape, degrees: entry.angle, fill: [0], into: $0)
                }
            }
            XCTAssertEqual(output, entry.output, "angle \(entry.angle)")
        }
        // The fixture's rotations do move pixels out of the image (the fill is exercised).
        XCTAssertGreaterThan(oracle.rotation[3].output.filter { $0 == 0 }.count, oracle.image.filter { $0 == 0 }.count + 10)
    }

    /// On normalised samples the fill is normalised black: `Normalize(RandomRotation(image))`,
    /// within 5e-7 (measured: 2.4e-7, the normalisation's own rounding).
    func testRotationFillOnNormalizedSamplesIsNormalizedBlack() throws {
        let oracle = try loadOracle()
        let normalization = Normalization(mean: oracle.normalize.mean, standardDeviation: oracle.normalize.std)
        let rotation = SampleTransform.Rotation(degrees: 45, normalization: normalization)
        var normalized = oracle.image
        normalized.withUnsafeMutableBufferPointer { normalization.apply(to: $0, shape: oracle.imageShape) }
        var output = [Float](repeating: .nan, count: normalized.count)
        normalized.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer {
                SampleTransform.Rotation.rotate(
                    source, shape: oracle.imageShape, degrees: oracle.normalizedRotation.angle, fill: rotation.fill(channels: 3), into: $0)
            }
        }
        XCTAssertLessThanOrEqual(largestDifference(output, oracle.normalizedRotation.output), 5e-7)
    }

    /// `sizing: .resizeAntialiased` through an image folder is Pillow's `Image.resize(size,
    /// BILINEAR)` byte for byte, for L, RGB and RGBA images shrunk, enlarged, both, and kept.
    func testAntialiasedResizeIsPillowsBilinearByteForByte() throws {
        let oracle = try loadOracle()
        XCTAssertEqual(oracle.pillowResize.count, 24)
        let directory = try TemporaryDirectory()
        for (index, entry) in oracle.pillowResize.enumerated() {
            let (colorType, channels): (Int, ChannelMode) = entry.mode == "L" ? (0, .gray) : entry.mode == "RGB" ? (2, .rgb) : (6, .rgba)
            let folder = directory.path("\(index)/a")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let bytes = PNGWriter.encode(
                width: entry.sourceSize[0], height: entry.sourceSize[1], colorType: colorType, bitDepth: 8, samples: entry.source.map(UInt16.init))
            try Data(bytes).write(to: folder.appendingPathComponent("x.png"))
            let images = try ImageFolder(
                root: directory.path("\(index)").path,
                options: .init(channels: channels, size: (entry.size[0], entry.size[1]), sizing: .resizeAntialiased))
            let features = try images.sample(at: 0).features  // CHW in [0, 1]
            let count = channels.channelCount
            let (width, height) = (entry.size[0], entry.size[1])
            XCTAssertEqual(features.shape, [count, height, width], "\(entry.mode) to \(entry.size)")
            var interleaved = [UInt8](repeating: 0, count: features.count)
            for c in 0..<count {
                for pixel in 0..<(width * height) {
                    interleaved[pixel * count + c] = UInt8((features[flat: c * width * height + pixel] * 255).rounded())
                }
            }
            XCTAssertEqual(interleaved, entry.output, "\(entry.mode) \(entry.sourceSize) to \(entry.size)")
        }
    }
}
