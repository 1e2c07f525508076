import DataPipeline
import Foundation
import ImageFormats
import Shards
import SystemIO
import TestSupport
import XCTest

/// Image folders holding JPEGs: mixed with PNGs, told apart by their first bytes, with EXIF
/// orientation ignored or applied, and damaged JPEGs reported per file. Pixels are checked
/// against Pillow's (`Tests/Fixtures/jpeg/oracle.json`).
final class ImageFolderJPEGTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var oracle: JPEGOracle!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        oracle = try JPEGOracle()
    }

    private func put(_ fixture: String, as relative: String) throws {
        let url = directory.path(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(try oracle.bytes(fixture)).write(to: url)
    }

    private func crc(_ image: DecodedImage) -> JPEGOracle.Pixels {
        JPEGOracle.Pixels(width: image.width, height: image.height, crc32: CRC32.checksum(image.pixels))
    }

    /// root/a: a PNG, a .jpg and a .JPEG; root/b: a `.png` name holding a JPEG, a `.jpeg` holding
    /// a PNG, and a text file. Every image is 21 x 14.
    private func makeMixedFolder() throws -> String {
        let noise = (0..<(21 * 14 * 3)).map { UInt8(($0 * 37) % 256) }
        try FileManager.default.createDirectory(at: directory.path("root/a"), withIntermediateDirectories: true)
        try PNGWriter.writeRGB(width: 21, height: 14, pixels: noise, to: directory.path("root/a/1-plain.png"))
        try put("baseline-420", as: "root/a/2-photo.jpg")
        try put("gray", as: "root/a/3-gray.JPEG")
        try put("progressive", as: "root/b/1-named-png.png")
        try PNGWriter.writeRGB(width: 21, height: 14, pixels: noise, to: directory.path("root/b/2-named-jpeg.jpeg"))
        try Data("notes".utf8).write(to: directory.path("root/b/notes.txt"))
        return directory.path("root").path
    }

    func testMixedFolderDecodesEachFileByItsSignature() throws {
        let folder = try ImageFolder(root: try makeMixedFolder())
        XCTAssertEqual(
            folder.paths.map { URL(fileURLWithPath: $0).lastPathComponent },
            ["1-plain.png", "2-photo.jpg", "3-gray.JPEG", "1-named-png.png", "2-named-jpeg.jpeg"])
        XCTAssertEqual(folder.labels, [0, 0, 0, 1, 1])
        XCTAssertEqual(folder.skippedFiles.map(\.reason), ["not a .png, .jpg or .jpeg file"])
        XCTAssertNil(folder.skippedFilesNote, "a text file is routine, not unusual")
        XCTAssertEqual(folder.sampleShape, [3, 14, 21])
        let images = try (0..<folder.count).map { try folder.image(at: $0) }
        XCTAssertEqual(images.map(\.header.format), [.png, .jpeg, .jpeg, .jpeg, .png])
        XCTAssertEqual(crc(images[1]), oracle.pixels("baseline-420", mode: "RGB", transposed: false))
        XCTAssertEqual(crc(images[2]), oracle.pixels("gray", mode: "RGB", transposed: false), "gray replicated, as convert(\"RGB\")")
        XCTAssertEqual(crc(images[3]), oracle.pixels("progressive", mode: "RGB", transposed: false), "a .png name holding a JPEG")
        XCTAssertEqual(images[0].pixels, images[4].pixels, "a .jpeg name holding a PNG")
        // The pipeline's path (reused scratch, floats) sees the same bytes.
        let sample = try folder.sample(at: 3)
        XCTAssertEqual(sample.features.shape, [3, 14, 21])
        let plane = 21 * 14
        let interleaved = (0..<(plane * 3)).map { UInt8((sample.features.scalars[($0 % 3) * plane + $0 / 3] * 255).rounded()) }
        XCTAssertEqual(interleaved, images[3].pixels)
        // One file outside the folder (what predict reads), in gray: Pillow's convert("L").
        let gray = try ImageFolder.sample(file: folder.paths[1], options: .init(channels: .gray))
        let bytes = gray.scalars.map { UInt8(($0 * 255).rounded()) }
        XCTAssertEqual(
            JPEGOracle.Pixels(width: 21, height: 14, crc32: CRC32.checksum(bytes)), oracle.pixels("baseline-420", mode: "L", transposed: false))
    }

    func testOrientationIsIgnoredByDefaultAndAppliedOnRequest() throws {
        // A 7 x 4 JPEG tagged "rotate 90 clockwise" (6) beside a 4 x 7 PNG.
        try put("orientation-6", as: "root/a/turned.jpg")
        try PNGWriter.writeGray(width: 4, height: 7, pixels: [UInt8](repeating: 9, count: 28), to: directory.path("root/a/upright.png"))
        let root = directory.path("root").path

        let stored = try ImageFolder(root: root)
        XCTAssertEqual(stored.sampleShape, [3, 4, 7], "the first file's stored size")
        XCTAssertEqual(crc(try stored.image(at: 0)), oracle.pixels("orientation-6", mode: "RGB", transposed: false))
        XCTAssertThrowsError(try stored.sample(at: 1)) {
            let error = $0 as? DataError
            XCTAssertEqual(error?.kind, .inconsistentShape)
            XCTAssertTrue(error?.reason.contains("2 sizes found: 7x4: 1 image") ?? false, "\(String(describing: error))")
        }

        let turned = try ImageFolder(root: root, options: .init(orientation: .apply))
        XCTAssertEqual(turned.sampleShape, [3, 7, 4])
        XCTAssertEqual(crc(try turned.image(at: 0)), oracle.pixels("orientation-6", mode: "RGB", transposed: true), "exif_transpose's pixels")
        XCTAssertEqual(try turned.sample(at: 1).features.shape, [3, 7, 4])
        XCTAssertNotEqual(stored.options, turned.options)
    }

    func testPackedJPEGBytesDecodeAsTheFolderDoes() throws {
        // Shards keep each file's bytes; the shard reader tells PNG from JPEG by signature too,
        // and applies the orientation it is given.
        try put("orientation-5", as: "turned/a/1.jpg")
        try put("orientation-6-motorola", as: "turned/a/2.png")
        try put("orientation-8", as: "turned/b/3.jpeg")
        for orientation in ExifOrientation.allCases {
            let folder = try ImageFolder(root: directory.path("turned").path, options: .init(orientation: orientation))
            let output = directory.path("packed-\(orientation)").path
            _ = try ShardPacker.pack(images: folder, output: output, limits: .init(samples: 2), shuffleSeed: nil)
            let stager = try ShardStager(
                source: LocalShardSource(directory: output), cacheDirectory: directory.path("cache-\(orientation)").path, budgetBytes: 1 << 20)
            let packed = ShardedDataset(stager: stager, orientation: orientation)
            XCTAssertEqual(packed.sampleShape, orientation == .apply ? [3, 7, 4] : [3, 4, 7])
            let features = try (0..<packed.chunkCount).flatMap { try packed.loadChunk(at: $0).features.scalars }
            let expected = try (0..<folder.count).flatMap { try folder.sample(at: $0).features.scalars }
            XCTAssertEqual(features, expected, "\(orientation)")
        }
    }

    func testDamagedJPEGsAreTypedErrorsForTheirFileAndCanBeSkipped() throws {
        let root = try makeMixedFolder()
        let whole = try oracle.bytes("baseline-420")
        try Data(whole.prefix(500)).write(to: directory.path("root/a/4-cut.jpg"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00]).write(to: directory.path("root/a/5-stub.jpg"))
        try Data("GIF89a".utf8).write(to: directory.path("root/a/6-gif.jpg"))
        let folder = try ImageFolder(root: root)
        let expected: [(String, DataError.Kind, Int)] = [("4-cut.jpg", .truncated, 500), ("5-stub.jpg", .truncated, 5), ("6-gif.jpg", .notImage, 0)]
        for (name, kind, offset) in expected {
            let index = try XCTUnwrap(folder.paths.firstIndex { $0.hasSuffix(name) })
            XCTAssertThrowsError(try folder.sample(at: index), name) {
                let error = $0 as? DataError
                XCTAssertEqual(error?.kind, kind, name)
                XCTAssertEqual(error?.path, folder.paths[index])
                XCTAssertEqual(error?.byteOffset, offset, name)
                let text = error?.description ?? ""
                XCTAssertTrue(text.hasPrefix(folder.paths[index] + ": ") && text.contains("(byte offset \(offset)); "), text)
            }
        }
        let quarantine = Quarantine(policy: .skip(maximumFraction: 0.5), expectedTotal: folder.count)
        let kept = try (0..<folder.count).compactMap { try folder.sample(at: $0, quarantine: quarantine) }
        XCTAssertEqual(kept.count, 5)
        XCTAssertEqual(
            quarantine.entries.map { URL(fileURLWithPath: $0.origin.description).lastPathComponent }, ["4-cut.jpg", "5-stub.jpg", "6-gif.jpg"])
    }
}
