import Foundation
import TestSupport
import Training
import XCTest

final class TensorBoardWriterTests: XCTestCase {
    func testCRC32CKnownValuesAndMasking() {
        // The CRC-32C check value of "123456789" (RFC 3720, iSCSI) and of 32 zero bytes (RFC 3720 B.4).
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        let crc = CRC32C.checksum(Array("abc".utf8))
        XCTAssertEqual(CRC32C.masked(Array("abc".utf8)), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    /// TensorBoard's own reader (installed by .ci/setup) reads our scalars back.
    func testTensorBoardReadsTheScalars() throws {
        let directory = try TemporaryDirectory()
        do {
            let writer = try TensorBoardWriter(directory: directory.url.path)
            try writer.add(scalars: [("train/loss", 0.75), ("train/accuracy", 0.5)], step: 3)
            try writer.add(scalars: [("train/loss", 0.25)], step: 10)
        }
        let script = """
            import sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            accumulator = EventAccumulator(sys.argv[1])
            accumulator.Reload()
            for tag in sorted(accumulator.Tags()["scalars"]):
                for event in accumulator.Scalars(tag):
                    print(tag, event.step, event.value)
            """
        let python = PythonInterpreter.command
        let result = try BuiltProducts.run(python.executable, python.arguments + ["-c", script, directory.url.path])
        XCTAssertEqual(result.status, 0, "\(python) with tensorboard (installed by .ci/setup) failed: \(result.errors)")
        XCTAssertEqual(result.output.split(separator: "\n").map(String.init), ["train/accuracy 3 0.5", "train/loss 3 0.75", "train/loss 10 0.25"])
    }
}
