import DataPipeline
import Foundation
import TestSupport
import XCTest

/// PNG decoding against Pillow and NumPy (fixtures from `Tests/Fixtures/make_png_oracle.py`), and
/// error offsets against the chunk layout of the damaged file. (Offsets read after libpng's
/// longjmp came back as 0 only in optimised builds: clang -O3 on the old code gave 0 where it now
/// gives the offset, checked with a small C driver.)
final class PNGReferenceTests: XCTestCase {
    private let decoder = PNGDecoder()

    private func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Fixtures.data("png/\(name)"))
    }

    private func littleEndian16(_ name: String) throws -> [UInt16] {
        let bytes = try fixture(name)
        return stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
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
