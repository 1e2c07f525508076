import DataPipeline
import Foundation
import ImageFormats
import TestSupport
import XCTest

/// PNG decoding against Pillow and NumPy (fixtures from `Tests/Fixtures/make_png_oracle.py`), and
/// error offsets against the chunk layout of the damaged file.
final class PNGReferenceTests: XCTestCase {
    private let decoder = PNGDecoder()

    private func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Fixtures.data("png/\(name)"))
    }

    private func littleEndian16(_ name: String) throws -> [UInt16] {
        let bytes = try fixture(name)
        return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
    }

    func testGrayIsPillowsConvertLAndIgnoresGAMA() throws {
        // Each file has a gAMA chunk (0.45455, 0.3, 2.2, 0.45455); Pillow ignores it, and so must we.
        for name in ["gama-rgb", "gama-rgba", "gama-palette", "gama-gray-alpha"] {
            let image = try decoder.decode(try fixture("\(name).png"), path: name, channels: .gray)
            let expected = try fixture("\(name).L")
            XCTAssertEqual(image.pixels.count, expected.count, name)
            let differing = zip(image.pixels, expected).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(name): \(differing) pixels differ from Pillow's convert(\"L\")")
        }
    }

    func testSixteenBitDecodeKeepsEverySample() throws {
        let rgb = try decoder.decodeSixteenBit(try fixture("rgb16.png"), path: "rgb16.png", channels: .rgb)
        XCTAssertEqual([rgb.width, rgb.height], [5, 7])
        XCTAssertEqual(rgb.pixels, try littleEndian16("rgb16.u16le"))
        XCTAssertEqual(Array(rgb.pixels.prefix(3)), [0, 65535, 256])
        let gray = try decoder.decodeSixteenBit(try fixture("gray16.png"), path: "gray16.png", channels: .gray)
        XCTAssertEqual(gray.header.bitDepth, 16)
        XCTAssertEqual(gray.pixels, try littleEndian16("gray16.u16le"))
        let rgba = try decoder.decodeSixteenBit(try fixture("gray16.png"), path: "gray16.png", channels: .rgba)
        XCTAssertEqual(rgba.pixels, gray.pixels.flatMap { [$0, $0, $0, 65535] })
        // 8-bit files widen as v * 257 (0x12 -> 0x1212).
        let eight = PNGWriter.encode(width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [0x12, 0xff])
        XCTAssertEqual(try decoder.decodeSixteenBit(eight, path: "eight", channels: .gray).pixels, [0x1212, 0xffff])
        let tensor = rgb.tensor()  // channels first: the G plane starts at 35, the B plane at 70
        XCTAssertEqual([tensor.scalars[0], tensor.scalars[35], tensor.scalars[70]], [0, 1, Float(256) / 65535])
    }

    // MARK: - Error offsets

    /// A 128 x 128 RGB image of noise: about 49 KB that libpng's writer splits into 8 KB IDAT chunks.
    private var noisy: [UInt8] {
        var state: UInt64 = 99
        let values = (0..<(128 * 128 * 3)).map { _ -> UInt16 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt16(state >> 56)
        }
        return PNGWriter.encode(width: 128, height: 128, colorType: 2, bitDepth: 8, samples: values)
    }

    /// Every chunk as (type, first byte, end): the end is just after its CRC.
    private func chunks(_ bytes: [UInt8]) -> [(type: String, start: Int, end: Int)] {
        var result: [(String, Int, Int)] = []
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            result.append((String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self), offset, offset + 12 + length))
            offset += 12 + length
        }
        return result
    }

    private func offset(decoding bytes: [UInt8]) -> Int? {
        do {
            _ = try decoder.decode(bytes, path: "damaged.png", channels: .rgb)
            return nil
        } catch {
            return error.byteOffset
        }
    }

    func testTruncationReportsAnOffsetInTheChunkWhereTheFileEnds() throws {
        let original = noisy
        let layout = chunks(original)
        let idats = layout.filter { $0.type == "IDAT" }
        XCTAssertGreaterThanOrEqual(idats.count, 4, "the fixture must span several IDAT chunks")
        for chunk in [layout[0], idats[0], idats[2], idats[idats.count - 1]] {
            let cut = chunk.start + (chunk.end - chunk.start) / 2
            let reported = try XCTUnwrap(offset(decoding: Array(original.prefix(cut))), "cut at \(cut)")
            XCTAssertGreaterThan(reported, 0)
            XCTAssertTrue((chunk.start...cut).contains(reported), "cut at \(cut) in \(chunk.type) [\(chunk.start), \(chunk.end)): offset \(reported)")
        }
    }

    func testCorruptionReportsAnOffsetInTheDamagedChunk() throws {
        let original = noisy
        let idats = chunks(original).filter { $0.type == "IDAT" }
        for chunk in [idats[1], idats[3]] {
            var damaged = original
            damaged[chunk.start + 8 + 100] ^= 0x5a  // inside the data: the chunk's CRC no longer matches
            let reported = try XCTUnwrap(offset(decoding: damaged))
            XCTAssertTrue((chunk.start...chunk.end).contains(reported), "damage in IDAT [\(chunk.start), \(chunk.end)): offset \(reported)")
        }
    }
}
