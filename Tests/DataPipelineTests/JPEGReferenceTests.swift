import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TestSupport
import XCTest

/// JPEG decoding against Pillow 13 (fixtures and oracle from `Tests/Fixtures/make_jpeg_oracle.py`):
/// pixels bit for bit, orientation, truncation and damage, with error offsets checked against the
/// files' marker layout.
final class JPEGReferenceTests: XCTestCase {
    private var oracle: JPEGOracle!

    override func setUpWithError() throws {
        oracle = try JPEGOracle()
    }

    private func decode(_ bytes: [UInt8], channels: ChannelMode, orientation: ExifOrientation = .ignore) throws -> JPEGOracle.Pixels {
        let image = try JPEGDecoder(orientation: orientation).decode(bytes, path: "x.jpg", channels: channels)
        XCTAssertEqual(image.pixels.count, image.width * image.height * channels.channelCount)
        return JPEGOracle.Pixels(width: image.width, height: image.height, crc32: CRC32.checksum(image.pixels))
    }

    func testPixelsEqualPillowsConvertForEveryFixtureModeAndOrientation() throws {
        // Baseline 4:2:0/4:2:2/4:4:4/4:4:0/4:1:1, optimized, progressive, stored RGB, restart
        // markers, one pixel, gray, CMYK, YCCK, arithmetic coding and eleven orientation files.
        XCTAssertEqual(oracle.names.count, 26)
        var compared = 0
        var differing: [String] = []
        for name in oracle.names {
            let bytes = try oracle.bytes(name)
            for (channels, mode) in [(ChannelMode.gray, "L"), (.rgb, "RGB"), (.rgba, "RGBA")] {
                for orientation in ExifOrientation.allCases {
                    let expected = try XCTUnwrap(oracle.pixels(name, mode: mode, transposed: orientation == .apply), name)
                    let got = try decode(bytes, channels: channels, orientation: orientation)
                    compared += 1
                    if got != expected { differing.append("\(name) \(mode) \(orientation): \(got), Pillow \(expected)") }
                }
            }
        }
        XCTAssertEqual(compared, 26 * 3 * 2)
        XCTAssertEqual(differing, [], "pixels differ from Pillow's convert")
    }

    func testHeaderDescribesTheFile() throws {
        let decoder = JPEGDecoder()
        let cases: [(String, String)] = [
            ("baseline-420", "JPEG YCbCr 4:2:0"), ("baseline-422", "JPEG YCbCr 4:2:2"), ("baseline-444", "JPEG YCbCr 4:4:4"),
            ("subsampling-440", "JPEG YCbCr 4:4:0"), ("subsampling-411", "JPEG YCbCr 4:1:1"),
            ("progressive", "JPEG YCbCr 4:2:0 progressive"), ("arithmetic", "JPEG YCbCr 4:2:0 arithmetic"),
            ("rgb-stored", "JPEG RGB"), ("gray-progressive", "JPEG gray progressive"), ("cmyk", "JPEG CMYK"), ("ycck", "JPEG YCCK"),
            ("orientation-6", "JPEG YCbCr 4:4:4 orientation 6"), ("orientation-6-motorola", "JPEG YCbCr 4:4:4 orientation 6"),
            ("orientation-xmp-8", "JPEG YCbCr 4:4:4 orientation 8"), ("orientation-exif1-xmp6", "JPEG YCbCr 4:4:4"),
        ]
        for (name, format) in cases {
            XCTAssertEqual(try decoder.header(try oracle.bytes(name), path: name).formatName, format, name)
        }
        let header = try decoder.header(try oracle.bytes("orientation-6"), path: "o")
        XCTAssertEqual([header.width, header.height, header.components, header.orientation], [7, 4, 3, 6])
        XCTAssertTrue(header.decodedSize(.ignore) == (7, 4) && header.decodedSize(.apply) == (4, 7))
        // The folder-level decoder reports the decoded size.
        let turned = try ImageDecoder(orientation: .apply).header(try oracle.bytes("orientation-6"), path: "o")
        XCTAssertEqual([turned.width, turned.height], [4, 7])
        XCTAssertEqual(turned.format, .jpeg)
    }

    func testPrefixesAreRefusedExactlyWherePillowRefusesThem() throws {
        for name in ["baseline-420", "progressive", "cmyk"] {
            let bytes = try oracle.bytes(name)
            let (accepted, length) = try XCTUnwrap(oracle.acceptedPrefixes(name))
            XCTAssertEqual(length, bytes.count)
            let full = try decode(bytes, channels: .rgb)
            for cut in 0...bytes.count {
                let prefix = Array(bytes.prefix(cut))
                do {
                    let pixels = try decode(prefix, channels: .rgb)
                    XCTAssertTrue(accepted.contains(cut), "\(name): a \(cut)-byte prefix decoded; Pillow refuses it")
                    XCTAssertEqual(pixels, full, "\(name): a \(cut)-byte prefix Pillow accepts must give the whole image")
                } catch let error as DataError {
                    XCTAssertFalse(accepted.contains(cut), "\(name): a \(cut)-byte prefix refused (\(error)); Pillow decodes it")
                    let expected: DataError.Kind = cut == 0 ? .emptyFile : cut < 3 ? .notJPEG : .truncated
                    XCTAssertEqual(error.kind, expected, "\(name) cut at \(cut): \(error)")
                    if error.kind == .truncated {
                        XCTAssertEqual(error.byteOffset, cut)
                        XCTAssertTrue(error.reason.contains("truncated"), error.reason)
                    }
                }
            }
        }
    }

    /// (marker, first byte, end) of each marker segment up to the first scan's header.
    private func segments(_ bytes: [UInt8]) -> [(marker: UInt8, start: Int, end: Int)] {
        var found: [(UInt8, Int, Int)] = []
        var at = 2
        while at + 4 <= bytes.count {
            let marker = bytes[at + 1]
            let end = at + 2 + (Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]))
            found.append((marker, at, end))
            if marker == 0xDA { break }
            at = end
        }
        return found.map { (marker: $0.0, start: $0.1, end: $0.2) }
    }

    private func assertRefused(
        _ bytes: [UInt8], _ kind: DataError.Kind, reason: String, offsets: ClosedRange<Int>, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try JPEGDecoder().decode(bytes, path: "damaged.jpg", channels: .rgb), file: file, line: line) { error in
            let error = error as? DataError
            XCTAssertEqual(error?.kind, kind, file: file, line: line)
            XCTAssertEqual(error?.path, "damaged.jpg", file: file, line: line)
            XCTAssertTrue(error?.reason.contains(reason) ?? false, "\(String(describing: error))", file: file, line: line)
            XCTAssertTrue(
                offsets.contains(error?.byteOffset ?? -1), "offset \(String(describing: error?.byteOffset)) not in \(offsets)", file: file, line: line
            )
            XCTAssertTrue(error?.description.contains("damaged.jpg") ?? false, file: file, line: line)
        }
    }

    func testDamagedFilesAreTypedErrorsWithFileOffsetAndReason() throws {
        let base = try oracle.bytes("baseline-420")
        let layout = segments(base)
        let frame = try XCTUnwrap(layout.first { $0.marker == 0xC0 })
        let scan = try XCTUnwrap(layout.first { $0.marker == 0xDA })

        // The offset is how far libjpeg had consumed: it reads a segment's fields from a copy of
        // the position and stores it back at the segment's start or end, and the entropy decoder
        // at the start of each MCU; so the ranges below are segments (or the MCU), not bytes.

        // A 12-bit precision byte: libjpeg-turbo's 8-bit API refuses it when the first scan
        // starts (after its header).
        var precision = base
        precision[frame.start + 4] = 12
        XCTAssertTrue(oracle.damagedRefused("precision-12"))
        assertRefused(precision, .corrupt, reason: "Unsupported JPEG data precision 12", offsets: scan.end...scan.end)

        // Width 0: refused inside the frame header.
        var empty = base
        empty[(frame.start + 7)...(frame.start + 8)] = [0, 0]
        XCTAssertTrue(oracle.damagedRefused("zero-width"))
        assertRefused(empty, .corrupt, reason: "Empty JPEG image", offsets: frame.start...frame.end)

        // The scan data cut short and an end marker appended: Pillow decodes it (gray blocks
        // for the missing data, no error); we refuse it. The image (21 x 14 at 4:2:0) is two
        // 16 x 16 MCUs, and the cut falls in the first, whose data starts where the scan's does.
        let cut = try XCTUnwrap(oracle.damagedValue("data-cut-then-eoi", "cut"))
        XCTAssertNotNil(oracle.damagedPixels("data-cut-then-eoi"), "Pillow decodes it")
        assertRefused(Array(base.prefix(cut)) + [0xFF, 0xD9], .corrupt, reason: "premature end of data segment", offsets: scan.end...(cut + 2))

        // A reserved marker code (02) in place of the first segment's (APP0).
        var marker = base
        marker[layout[0].start + 1] = 0x02
        assertRefused(marker, .corrupt, reason: "Unsupported marker type 0x02", offsets: layout[0].start...layout[0].end)

        // Not a JPEG at all.
        assertRefused(Array("GIF89a".utf8), .notJPEG, reason: "FF D8 FF", offsets: 0...0)
    }

    func testFuzzedOrientationInputTurnsTheStoredPixels() throws {
        // Tagged 6 (rotate 90 degrees clockwise): the output's (x, y) is the stored (y, H - 1 - x).
        let bytes = [UInt8](try Fixtures.data("fuzz-regressions/jpeg-orientation-fuzzed.jpg"))
        let stored = try JPEGDecoder().decode(bytes, path: "f.jpg", channels: .rgb)
        let turned = try JPEGDecoder(orientation: .apply).decode(bytes, path: "f.jpg", channels: .rgb)
        XCTAssertEqual([stored.width, stored.height, turned.width, turned.height], [7, 4, 4, 7])
        var expected = [UInt8]()
        for y in 0..<turned.height {
            for x in 0..<turned.width {
                let source = (y + (stored.height - 1 - x) * stored.width) * 3
                expected += stored.pixels[source..<(source + 3)]
            }
        }
        XCTAssertEqual(turned.pixels, expected)
    }

    func testPixelLimitIsCheckedBeforeDecoding() throws {
        XCTAssertThrowsError(try JPEGDecoder(maximumPixels: 21 * 14 - 1).decode(try oracle.bytes("baseline-420"), path: "big.jpg", channels: .rgb)) {
            let error = $0 as? DataError
            XCTAssertEqual(error?.kind, .tooLarge)
            XCTAssertTrue(error?.reason.contains("21 x 14 pixels, over the limit of 293 pixels") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(try decode(try oracle.bytes("baseline-420"), channels: .rgb).width, 21)  // the default limit
    }
}
