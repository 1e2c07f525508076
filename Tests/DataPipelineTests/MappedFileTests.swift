import Foundation
import SystemIO
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Files mapped read-only: their bytes, the guarded reads, and a file truncated while mapped.
final class MappedFileTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = directory.path(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testMapsTheFilesBytesAndRefusesReadsOutsideThem() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let file = try MappedFile(path: try write(bytes, "data"))
        XCTAssertEqual(file.size, 10_000)
        XCTAssertEqual(Array(file.bytes), bytes)
        XCTAssertEqual(file.currentSize, 10_000)
        XCTAssertEqual(try file.copiedBytes(from: 4_090, count: 20), Array(bytes[4_090..<4_110]))
        XCTAssertThrowsError(try file.copiedBytes(from: 9_990, count: 11)) { error in
            let error = error as? DataError
            XCTAssertEqual(error?.kind, .truncated)
            XCTAssertEqual(error?.byteOffset, 9_990)
            XCTAssertTrue(error?.reason.contains("outside the 10000 bytes mapped") ?? false, "\(String(describing: error))")
        }
        let empty = try MappedFile(path: try write([], "empty"))
        XCTAssertEqual(empty.size, 0)
        XCTAssertEqual(try empty.copiedBytes(from: 0, count: 0), [])
        XCTAssertThrowsError(try MappedFile(path: directory.url.path)) { XCTAssertEqual(($0 as? DataError)?.kind, .unreadable) }
        XCTAssertThrowsError(try MappedFile(path: directory.path("missing").path)) { XCTAssertEqual(($0 as? DataError)?.kind, .notFound) }
    }

    /// A file cut short after it was mapped: reading the pages past its new end is a `.truncated`
    /// error naming the file, the offset and both sizes (SIGBUS, unguarded), and the process goes on.
    func testAFileTruncatedWhileMappedIsATypedErrorNotSIGBUS() throws {
        let path = try write([UInt8](repeating: 200, count: 5 * 4096), "shrinking")
        let file = try MappedFile(path: path)
        XCTAssertEqual(try file.copiedBytes(from: 4 * 4096, count: 8), [UInt8](repeating: 200, count: 8), "readable before")
        XCTAssertEqual(truncate(path, 4096), 0)
        XCTAssertEqual(file.currentSize, 4096)
        for attempt in 0..<3 {
            XCTAssertThrowsError(try file.copiedBytes(from: 3 * 4096, count: 100), "attempt \(attempt)") { error in
                let error = error as? DataError
                XCTAssertEqual(error?.kind, .truncated)
                XCTAssertEqual(error?.path, path)
                XCTAssertEqual(error?.byteOffset, 3 * 4096)
                XCTAssertTrue(error?.reason.contains("had 20480 bytes when opened and has 4096 bytes now") ?? false, "\(String(describing: error))")
                XCTAssertTrue(error?.fix.contains("do not change a file while it is read") ?? false)
            }
            var floats = [Float](repeating: -1, count: 300)
            XCTAssertThrowsError(
                try floats.withUnsafeMutableBufferPointer {
                    try file.writeUnitScaled(from: 2 * 4096, channels: 3, plane: 100, means: nil, inverses: nil, into: $0)
                }
            ) { XCTAssertEqual(($0 as? DataError)?.kind, .truncated) }
        }
        // The page still in the file reads as before.
        XCTAssertEqual(try file.copiedBytes(from: 100, count: 4), [200, 200, 200, 200])
    }

    /// `v / 255`, then `(x - mean) * (1 / std)` per channel, on every instruction set this CPU
    /// has: the same bits as the formula evaluated one rounding at a time, for all 256 values.
    func testUnitScaleGivesTheFormulasBitsOnEveryPath() throws {
        let plane = 256 + 37  // every byte value, and a tail shorter than a vector
        let channels = 3
        let bytes = (0..<(channels * plane)).map { UInt8(($0 * 53 + $0 / plane) % 256) }
        let file = try MappedFile(path: try write([9, 9, 9] + bytes, "pixels"))
        let means: [Float] = [0.485, 0.456, 0.406]
        let deviations: [Float] = [0.229, 0.224, 0.225]
        let inverses = deviations.map { 1 / $0 }
        for normalized in [false, true] {
            var expected = [Float](repeating: 0, count: bytes.count)
            for (index, byte) in bytes.enumerated() {
                let unit = Float(byte) / 255
                let channel = index / plane
                expected[index] = normalized ? (unit - means[channel]) * inverses[channel] : unit
            }
            for path in 0...MappedFile.unitScalePath {
                var out = [Float](repeating: .nan, count: bytes.count)
                try means.withUnsafeBufferPointer { means in
                    try inverses.withUnsafeBufferPointer { inverses in
                        try out.withUnsafeMutableBufferPointer {
                            try file.writeUnitScaled(
                                from: 3, channels: channels, plane: plane, means: normalized ? means.baseAddress : nil,
                                inverses: inverses.baseAddress, into: $0, path: path)
                        }
                    }
                }
                XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "path \(path), normalized \(normalized)")
            }
        }
    }
}
