import Checkpoints
import Foundation
import Tensors
import TestSupport
import XCTest

final class SafetensorsTests: XCTestCase {
    func testRoundTripIsBitExact() throws {
        let special: [Float] = [0, -0.0, .nan, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1 / 3, Float(bitPattern: 0x7FC0_1234)]
        let tensors = [
            NamedTensor("0.weight", Tensor.random([3, 5], seed: 1)), NamedTensor("odd \"name\"\n", Tensor(special)),
            NamedTensor("scalar", Tensor(2)), NamedTensor("empty", Tensor(shape: [0, 7])),
        ]
        let bytes = Safetensors.encode(tensors, metadata: ["k": "v"])
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "the header is padded to a multiple of 8 bytes")
        XCTAssertEqual(bytes[8 + headerLength - 1], 0x20)  // with spaces (this header needs padding)
        let (decoded, metadata) = try Safetensors.decode(bytes, path: "mem")
        XCTAssertEqual(metadata, ["k": "v"])
        XCTAssertEqual(Set(decoded.map(\.name)), Set(tensors.map(\.name)))
        for original in tensors {
            let copy = try XCTUnwrap(decoded.first { $0.name == original.name })
            XCTAssertEqual(copy.tensor.shape, original.tensor.shape)
            XCTAssertEqual(copy.tensor.scalars.map(\.bitPattern), original.tensor.scalars.map(\.bitPattern))
        }
    }

    func testReadsAFileWrittenByPythonSafetensors() throws {
        // Tests/Fixtures/python-safetensors.safetensors: see Tests/Fixtures/README.md for the script.
        let (tensors, metadata) = try Safetensors.read(path: Fixtures.directory.appendingPathComponent("python-safetensors.safetensors").path)
        XCTAssertEqual(metadata["origin"], "safetensors 0.8.0")
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        XCTAssertEqual(byName["0.weight"], Tensor([[-0.5, -0.25, 0], [0.25, 0.5, 0.75]]))
        XCTAssertEqual(byName["0.bias"], Tensor([1.5, -2.25]))
        XCTAssertEqual(byName["scalar"], Tensor(3))
        XCTAssertEqual(byName["empty"]?.shape, [0, 4])
    }

    /// Round trips through Python's reference implementation, which .ci/setup installs.
    func testPythonSafetensorsReadsOursAndWritesOurs() throws {
        let directory = try TemporaryDirectory()
        let ours = directory.path("ours.safetensors").path
        try Data(Safetensors.encode([NamedTensor("layer.weight", Tensor([[1.5, -2], [0.25, 8]]))])).write(to: URL(fileURLWithPath: ours))
        let theirs = directory.path("theirs.safetensors").path
        let script = """
            import numpy as np, sys
            from safetensors.numpy import load_file, save_file
            t = load_file(sys.argv[1])["layer.weight"]
            assert t.dtype == np.float32 and t.shape == (2, 2), (t.dtype, t.shape)
            assert t.tolist() == [[1.5, -2.0], [0.25, 8.0]], t.tolist()
            save_file({"doubled": t * 2}, sys.argv[2])
            """
        let process = Process()
        let python = PythonInterpreter.command
        process.executableURL = URL(fileURLWithPath: python.executable)
        process.arguments = python.arguments + ["-c", script, ours, theirs]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, "\(python) with safetensors (installed by .ci/setup) failed: \(message)")
        let (tensors, _) = try Safetensors.read(path: theirs)
        XCTAssertEqual(tensors.first?.tensor, Tensor([[3, -4], [0.5, 16]]))
    }

    private func header(_ json: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        let body = Array(json.utf8)
        withUnsafeBytes(of: (length ?? UInt64(body.count)).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + body + data
    }

    private func assertCorrupt(
        _ bytes: [UInt8], _ fragment: String, kind: CheckpointError.Kind = .corrupt, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try Safetensors.decode(bytes, path: "hostile.safetensors"), file: file, line: line) { error in
            let checkpointError = error as? CheckpointError
            XCTAssertEqual(checkpointError?.kind, kind, "\(error)", file: file, line: line)
            XCTAssertTrue(checkpointError?.reason.contains(fragment) ?? false, "\(error)", file: file, line: line)
            XCTAssertEqual(checkpointError?.path, "hostile.safetensors", file: file, line: line)
        }
    }

    func testHostileFilesAreRefusedBeforeAllocating() {
        let eight = [UInt8](repeating: 0, count: 8)
        assertCorrupt([1, 2, 3], "shorter than")
        assertCorrupt(header("{}", length: UInt64.max), "header length")
        assertCorrupt(header("{}", length: 1 << 40), "header length")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "outside the data")
        assertCorrupt(
            header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#, data: eight),
            "overlaps")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight), "gap")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight), "no tensor uses")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight), "needs 12")
        assertCorrupt(
            header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
            "twice")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: eight), "invalid shape")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[2147483647,2147483647,8],"data_offsets":[0,8]}}"#, data: eight), "larger than the file")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, data: eight), "invalid shape")
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, data: eight), "invalid JSON")
        assertCorrupt(header(#"[1, 2]"#), "does not start")
        assertCorrupt(header(#"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eight), "F16", kind: .unsupportedType)
        assertCorrupt(header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}"#, data: eight), "exactly")
    }

    func testRandomDamageNeverCrashes() {
        let valid = Safetensors.encode([NamedTensor("w", Tensor.random([4, 4], seed: 2)), NamedTensor("b", Tensor([1, 2]))])
        var seed: UInt64 = 1
        for _ in 0..<500 {
            var bytes = valid
            seed = seed &* 6_364_136_223_846_793_005 &+ 1
            let position = Int(seed >> 33) % bytes.count
            bytes[position] = UInt8(truncatingIfNeeded: seed >> 17)
            if seed % 5 == 0 { bytes.removeLast(Int(seed >> 40) % bytes.count) }
            _ = try? Safetensors.decode(bytes, path: "fuzz")
        }
    }
}
