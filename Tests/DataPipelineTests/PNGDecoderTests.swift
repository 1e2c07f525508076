import CZlib
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TestSupport
import XCTest

/// Files written by libpng's writer in every colour type, bit depth and interlace method, decoded
/// and compared with the sample values that were written.
final class PNGDecoderTests: XCTestCase {
    private let decoder = PNGDecoder()
    private let width = 13, height = 7  // odd sizes exercise bit packing and every Adam7 pass

    /// Deterministic sample values in 0..<2^bitDepth.
    private func samples(count: Int, bitDepth: Int, seed: Int) -> [UInt16] {
        let modulus = 1 << bitDepth
        return (0..<count).map { UInt16((($0 &* 2_654_435_761) ^ (seed &* 40_503)) & Int.max % modulus) }
    }

    /// 8-bit value of a b-bit sample, as libpng's expansion and 16-to-8 stripping define it.
    private func to8(_ value: UInt16, bitDepth: Int) -> UInt8 {
        switch bitDepth {
        case 1: return value == 0 ? 0 : 255
        case 2: return UInt8(value * 85)
        case 4: return UInt8(value * 17)
        case 8: return UInt8(value)
        default: return UInt8(value >> 8)
        }
    }

    func testGrayEveryBitDepthAndInterlace() throws {
        for bitDepth in [1, 2, 4, 8, 16] {
            for interlaced in [false, true] {
                let values = samples(count: width * height, bitDepth: bitDepth, seed: bitDepth)
                let png = PNGWriter.encode(width: width, height: height, colorType: 0, bitDepth: bitDepth, interlaced: interlaced, samples: values)
                let expected = values.map { to8($0, bitDepth: bitDepth) }
                let name = "gray\(bitDepth)\(interlaced ? "i" : "")"
                let gray = try decoder.decode(png, path: name, channels: .gray)
                XCTAssertEqual(gray.pixels, expected, name)
                XCTAssertEqual(gray.header.isInterlaced, interlaced)
                XCTAssertEqual(try decoder.decode(png, path: name, channels: .rgb).pixels, expected.flatMap { [$0, $0, $0] }, name)
                XCTAssertEqual(try decoder.decode(png, path: name, channels: .rgba).pixels, expected.flatMap { [$0, $0, $0, 255] }, name)
            }
        }
    }

    func testRGBAndRGBAAndGrayAlpha8And16() throws {
        for (colorType, perPixel) in [(2, 3), (6, 4), (4, 2)] {
            for bitDepth in [8, 16] {
                for interlaced in [false, true] {
                    let values = samples(count: width * height * perPixel, bitDepth: bitDepth, seed: colorType)
                    let png = PNGWriter.encode(
                        width: width, height: height, colorType: colorType, bitDepth: bitDepth, interlaced: interlaced, samples: values)
                    let v8 = values.map { to8($0, bitDepth: bitDepth) }
                    let pixels = (0..<(width * height)).map { Array(v8[($0 * perPixel)..<(($0 + 1) * perPixel)]) }
                    let name = "type\(colorType)-\(bitDepth)\(interlaced ? "i" : "")"
                    let rgba = try decoder.decode(png, path: name, channels: .rgba).pixels
                    let rgb = try decoder.decode(png, path: name, channels: .rgb).pixels
                    switch colorType {
                    case 2:
                        XCTAssertEqual(rgb, v8, name)
                        XCTAssertEqual(rgba, pixels.flatMap { $0 + [255] }, name)
                    case 6:
                        XCTAssertEqual(rgba, v8, name)
                        XCTAssertEqual(rgb, pixels.flatMap { Array($0.prefix(3)) }, name)
                    default:  // gray + alpha
                        XCTAssertEqual(rgba, pixels.flatMap { [$0[0], $0[0], $0[0], $0[1]] }, name)
                        XCTAssertEqual(try decoder.decode(png, path: name, channels: .gray).pixels, pixels.map { $0[0] }, name)
                    }
                }
            }
        }
    }

    func testPaletteWithAndWithoutTransparency() throws {
        for bitDepth in [1, 2, 4, 8] {
            let entries = 1 << bitDepth
            let palette = (0..<(entries * 3)).map { UInt8(($0 * 37 + bitDepth) % 256) }
            let alpha = (0..<(entries / 2 + 1)).map { UInt16(($0 * 91) % 256) }  // fewer alphas than entries: the rest are opaque
            for interlaced in [false, true] {
                let indices = samples(count: width * height, bitDepth: bitDepth, seed: 7)
                let colours = indices.map { Array(palette[(Int($0) * 3)..<(Int($0) * 3 + 3)]) }
                let plain = PNGWriter.encode(
                    width: width, height: height, colorType: 3, bitDepth: bitDepth, interlaced: interlaced, samples: indices, palette: palette)
                XCTAssertEqual(try decoder.decode(plain, path: "p", channels: .rgb).pixels, colours.flatMap { $0 })
                XCTAssertEqual(try decoder.decode(plain, path: "p", channels: .rgba).pixels, colours.flatMap { $0 + [255] })
                let transparent = PNGWriter.encode(
                    width: width, height: height, colorType: 3, bitDepth: bitDepth, interlaced: interlaced,
                    samples: indices, palette: palette, transparency: alpha)
                let expectedAlpha = indices.map { Int($0) < alpha.count ? UInt8(alpha[Int($0)]) : 255 }
                let decoded = try decoder.decode(transparent, path: "t", channels: .rgba)
                XCTAssertTrue(decoded.header.hasTransparency)
                XCTAssertEqual(decoded.pixels, zip(colours, expectedAlpha).flatMap { $0 + [$1] })
                XCTAssertEqual(try decoder.decode(transparent, path: "t", channels: .rgb).pixels, colours.flatMap { $0 })
            }
        }
    }

    func testGrayAndRGBTransparencyKeyBecomesAlpha() throws {
        let grayValues = samples(count: width * height, bitDepth: 8, seed: 3)
        let key = grayValues[5]
        let gray = PNGWriter.encode(width: width, height: height, colorType: 0, bitDepth: 8, samples: grayValues, transparency: [key])
        XCTAssertEqual(
            try decoder.decode(gray, path: "g", channels: .rgba).pixels,
            grayValues.flatMap { [UInt8($0), UInt8($0), UInt8($0), $0 == key ? 0 : 255] })
        var rgbValues = samples(count: width * height * 3, bitDepth: 8, seed: 4)
        rgbValues[0..<3] = [1, 2, 3]
        let rgb = PNGWriter.encode(width: width, height: height, colorType: 2, bitDepth: 8, samples: rgbValues, transparency: [1, 2, 3])
        let decoded = try decoder.decode(rgb, path: "c", channels: .rgba).pixels
        XCTAssertEqual(decoded[3], 0)
        XCTAssertEqual(decoded[0..<3], [1, 2, 3])
    }

    func testFloatTensorIsChannelsFirstAndNormalised() throws {
        let png = PNGWriter.encode(width: 2, height: 1, colorType: 2, bitDepth: 8, samples: [255, 0, 51, 0, 102, 255])
        let tensor = try decoder.decode(png, path: "t", channels: .rgb).tensor()
        XCTAssertEqual(tensor.shape, [3, 1, 2])
        XCTAssertEqual(tensor.scalars, [255, 0, 0, 102, 51, 255].map { Float($0) / 255 })  // R plane, G plane, B plane
    }

    // MARK: - Bad input

    private func assertError(
        _ bytes: [UInt8], _ kind: DataError.Kind, maximumPixels: Int = PNGDecoder.defaultMaximumPixels,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try PNGDecoder(maximumPixels: maximumPixels).decode(bytes, path: "bad.png", channels: .rgb), file: file, line: line) {
            error in
            let dataError = error as? DataError
            XCTAssertEqual(dataError?.kind, kind, "\(error)", file: file, line: line)
            XCTAssertEqual(dataError?.path, "bad.png", file: file, line: line)
            XCTAssertFalse(dataError?.fix.isEmpty ?? true, file: file, line: line)
        }
    }

    private var valid: [UInt8] {
        PNGWriter.encode(width: 32, height: 32, colorType: 2, bitDepth: 8, samples: samples(count: 32 * 32 * 3, bitDepth: 8, seed: 1))
    }

    func testEmptyAndNonPNGFiles() {
        assertError([], .emptyFile)
        assertError(Array("hello, this is not an image".utf8), .notPNG)
        assertError(Array(valid.prefix(5)), .notPNG)
    }

    func testTruncatedFilesAreReportedWithOffset() throws {
        for cut in [20, 40, valid.count / 2, valid.count - 13] {
            XCTAssertThrowsError(try decoder.decode(Array(valid.prefix(cut)), path: "cut.png", channels: .rgb)) { error in
                let dataError = error as? DataError
                XCTAssertEqual(dataError?.kind, .truncated, "cut at \(cut): \(error)")
                XCTAssertNotNil(dataError?.byteOffset)
                XCTAssertLessThanOrEqual(dataError?.byteOffset ?? .max, cut)
            }
        }
    }

    func testDamagedCompressedDataIsCorrupt() throws {
        var damaged = valid
        let idat = try XCTUnwrap(findChunk("IDAT", in: damaged))
        damaged[idat + 8 + 10] ^= 0xff  // libpng inflates before it checks the chunk's CRC
        assertError(damaged, .corrupt)
    }

    func testCRCErrorIsCorrupt() throws {
        var damaged = valid
        let idat = try XCTUnwrap(findChunk("IDAT", in: damaged))
        let length = damaged[idat..<(idat + 4)].reduce(0) { $0 << 8 | Int($1) }
        damaged[idat + 8 + length] ^= 0xff  // the first byte of the IDAT chunk's CRC
        XCTAssertThrowsError(try decoder.decode(damaged, path: "crc.png", channels: .rgb)) { error in
            let dataError = error as? DataError
            XCTAssertEqual(dataError?.kind, .corrupt)
            XCTAssertTrue(dataError?.reason.contains("CRC") ?? false, "\(error)")
        }
    }

    func testOversizedHeaderIsRefusedBeforeAllocation() {
        // A well-formed IHDR (correct CRC, computed with zlib) declaring 100,000 x 100,000 pixels.
        var bytes: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]
        let body: [UInt8] = Array("IHDR".utf8) + [0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0]
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        bytes += body + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
        assertError(bytes, .tooLarge)
        assertError(valid, .tooLarge, maximumPixels: 1000)
    }

    func testRandomDamageNeverCrashes() {
        // 300 mutated or truncated copies: each decodes or throws a DataError; none crashes.
        var seed: UInt64 = 12345
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33)
        }
        let original = valid
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + next() % 4) { bytes[8 + next() % (bytes.count - 8)] = UInt8(next() % 256) }
            if next() % 3 == 0 { bytes.removeLast(next() % bytes.count) }
            _ = try? decoder.decode(bytes, path: "fuzz.png", channels: .rgba)  // a typed DataError or success; never a crash
        }
    }

    func testMissingFileIsNotFound() {
        XCTAssertThrowsError(try decoder.decode(file: "/nonexistent/x.png", channels: .rgb)) {
            XCTAssertEqual(($0 as? DataError)?.kind, .notFound)
        }
    }

    private func findChunk(_ type: String, in bytes: [UInt8]) -> Int? {
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            if String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self) == type { return offset }
            offset += 12 + length
        }
        return nil
    }
}
