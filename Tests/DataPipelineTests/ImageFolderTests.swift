import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TestSupport
import XCTest

final class ImageFolderTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func makeFolder(_ relative: String) throws -> URL {
        let url = directory.path(relative)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// root/{dog, cat, ant}: 3, 2 and 1 images (4x2 gray, pixel value encodes class and index).
    private func makeDataset() throws -> String {
        for (name, count) in [("dog", 3), ("cat", 2), ("ant", 1)] {
            let folder = try makeFolder("root/\(name)")
            for i in 0..<count {
                let value = UInt8(name.utf8.first! &+ UInt8(i))
                try PNGWriter.writeGray(
                    width: 4, height: 2, pixels: [UInt8](repeating: value, count: 8), to: folder.appendingPathComponent("img\(i).png"))
            }
        }
        try Data("x".utf8).write(to: directory.path("root/cat/notes.txt"))
        try Data("x".utf8).write(to: directory.path("root/cat/.DS_Store"))
        _ = try makeFolder("root/.cache")
        let nested = try makeFolder("root/dog/more")
        try PNGWriter.writeGray(width: 4, height: 2, pixels: [UInt8](repeating: 7, count: 8), to: nested.appendingPathComponent("deep.PNG"))
        return directory.path("root").path
    }

    func testListsSortedClassesAndSkipsHiddenAndNonPNG() throws {
        let folder = try ImageFolder(root: try makeDataset(), options: .init(channels: .gray))
        XCTAssertEqual(folder.classNames, ["ant", "cat", "dog"])
        XCTAssertEqual(folder.classCounts, [1, 2, 4])
        XCTAssertEqual(folder.count, 7)
        XCTAssertEqual(folder.labels, [0, 1, 1, 2, 2, 2, 2])
        XCTAssertEqual(
            folder.paths.map { URL(fileURLWithPath: $0).lastPathComponent },
            ["img0.png", "img0.png", "img1.png", "img0.png", "img1.png", "img2.png", "deep.PNG"])
        XCTAssertEqual(Set(folder.skippedFiles.map { URL(fileURLWithPath: $0.path).lastPathComponent }), [".DS_Store", "notes.txt"])
        let sample = try folder.sample(at: 2)
        XCTAssertEqual(sample.label, 1)
        XCTAssertEqual(sample.features.shape, [1, 2, 4])
        XCTAssertEqual(sample.features.scalars, [Float](repeating: Float(UInt8(ascii: "c") + 1) / 255, count: 8))
        XCTAssertEqual(sample.origin, .file(folder.paths[2]))
    }

    func testEmptyRootEmptyClassAndMissingRootAreErrors() throws {
        _ = try makeFolder("empty")
        XCTAssertThrowsError(try ImageFolder(root: directory.path("empty").path)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .emptyDataset)
        }
        _ = try makeFolder("hollow/a")
        try Data("x".utf8).write(to: directory.path("hollow/a/readme.txt"))
        XCTAssertThrowsError(try ImageFolder(root: directory.path("hollow").path)) {
            let error = $0 as? DataError
            XCTAssertEqual(error?.kind, .emptyDataset)
            XCTAssertTrue(error?.path.hasSuffix("hollow/a") ?? false)
        }
        XCTAssertThrowsError(try ImageFolder(root: directory.path("missing").path)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .notFound)
        }
    }

    func testValidationFolderMustUseKnownClasses() throws {
        let root = try makeDataset()
        let training = try ImageFolder(root: root)
        let validationRoot = try makeFolder("val/cat")
        try PNGWriter.writeGray(width: 4, height: 2, pixels: [UInt8](repeating: 1, count: 8), to: validationRoot.appendingPathComponent("v.png"))
        let validation = try ImageFolder(root: directory.path("val").path, options: .init(classNames: training.classNames))
        XCTAssertEqual(validation.labels, [1])
        _ = try makeFolder("val/zebra")
        XCTAssertThrowsError(try ImageFolder(root: directory.path("val").path, options: .init(classNames: training.classNames))) {
            XCTAssertEqual(($0 as? DataError)?.kind, .unknownLabel)
        }
    }

    func testOddSizedImageIsAnErrorUnlessAFixedSizeIsSet() throws {
        let root = try makeDataset()
        try PNGWriter.writeGray(width: 3, height: 3, pixels: [UInt8](repeating: 9, count: 9), to: directory.path("root/dog/odd.png"))
        let folder = try ImageFolder(root: root, options: .init(channels: .gray))
        let odd = try XCTUnwrap(folder.paths.firstIndex { $0.hasSuffix("odd.png") })
        XCTAssertThrowsError(try folder.sample(at: odd)) {
            let error = $0 as? DataError
            XCTAssertEqual(error?.kind, .inconsistentShape)
            XCTAssertTrue(error?.path.hasSuffix("odd.png") ?? false)
            // Every size with its count and its first file: makeDataset writes 6 images of 4x2 plus
            // the nested deep.PNG (7), and odd.png is the one 3x3.
            XCTAssertTrue(error?.reason.contains("2 sizes found: 4x2: 7 images (e.g. \(root)/ant/img0.png)") ?? false, "\($0)")
            XCTAssertTrue(error?.reason.contains("3x3: 1 image (e.g. \(root)/dog/odd.png)") ?? false, "\($0)")
            XCTAssertTrue(error?.fix.contains("size") ?? false)
        }
        let fixed = try ImageFolder(root: root, options: .init(channels: .rgb, size: (width: 4, height: 2)))
        XCTAssertEqual(try fixed.sample(at: odd).features.shape, [3, 2, 4])
    }

    func testBilinearResizeAndCenterCropByHand() throws {
        // One row [0, 255] resized to 4 wide: source x = (x + 0.5) / 2 - 0.5 clamped at 0 gives
        // 0, 0.25, 0.75, 1 (clamped) -> 0, 63.75, 191.25, 255 -> rounded 0, 64, 191, 255.
        let folder = try makeFolder("resize/a")
        try PNGWriter.writeGray(width: 2, height: 1, pixels: [0, 255], to: folder.appendingPathComponent("a.png"))
        let resized = try ImageFolder(root: directory.path("resize").path, options: .init(channels: .gray, size: (4, 1)))
        XCTAssertEqual(try resized.image(at: 0).pixels, [0, 64, 191, 255])
        // 4x4 cropped to 2x2 keeps the centre; 2x2 "cropped" to 4x4 is zero-padded around it.
        let crop = try makeFolder("crop/a")
        try PNGWriter.writeGray(width: 4, height: 4, pixels: (0..<16).map(UInt8.init), to: crop.appendingPathComponent("a.png"))
        let cropped = try ImageFolder(root: directory.path("crop").path, options: .init(channels: .gray, size: (2, 2), sizing: .centerCrop))
        XCTAssertEqual(try cropped.image(at: 0).pixels, [5, 6, 9, 10])
        let pad = try makeFolder("pad/a")
        try PNGWriter.writeGray(width: 2, height: 2, pixels: [1, 2, 3, 4], to: pad.appendingPathComponent("a.png"))
        let padded = try ImageFolder(root: directory.path("pad").path, options: .init(channels: .gray, size: (4, 4), sizing: .centerCrop))
        XCTAssertEqual(try padded.image(at: 0).pixels, [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    }

    func testSeededStratifiedSplit() throws {
        let folder = try ImageFolder(root: try makeDataset())
        let (training, validation) = folder.split(validationFraction: 0.5, seed: 3)
        XCTAssertEqual(Set(training.indices).union(validation.indices), Set(0..<7))
        XCTAssertTrue(Set(training.indices).isDisjoint(with: validation.indices))
        // Per class: round(0.5 * 1) = 1 (ties away from zero), round(0.5 * 2) = 1, round(0.5 * 4) = 2.
        XCTAssertEqual(validation.indices.map { folder.labels[$0] }.sorted(), [0, 1, 2, 2])
        XCTAssertEqual(folder.split(validationFraction: 0.5, seed: 3).validation.indices, validation.indices)
        let seeds = (0..<10).map { folder.split(validationFraction: 0.5, seed: UInt64($0)).validation.indices }
        XCTAssertGreaterThan(Set(seeds).count, 1)
    }

    func testCorruptImageSurfacesAsTypedErrorForThatFile() throws {
        let root = try makeDataset()
        try Data([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).write(to: directory.path("root/cat/broken.png"))
        let folder = try ImageFolder(root: root)
        let broken = try XCTUnwrap(folder.paths.firstIndex { $0.hasSuffix("broken.png") })
        XCTAssertThrowsError(try folder.sample(at: broken)) {
            let error = $0 as? DataError
            XCTAssertEqual(error?.kind, .truncated)
            XCTAssertEqual(error?.path, folder.paths[broken])
        }
    }
}
