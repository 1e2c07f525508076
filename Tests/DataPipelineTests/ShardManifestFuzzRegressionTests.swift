import Foundation
import Shards
import SystemIO
import TestSupport
import XCTest

/// Manifests the `manifest` fuzz target (Fuzz/Sources/FuzzManifest) found, checked in under
/// `Tests/Fixtures/fuzz-regressions/`: each decoded and validated, then trapped (arithmetic
/// overflow) in what `ShardedDataset` computes from it; `decode` must refuse each with a typed
/// error instead.
final class ShardManifestFuzzRegressionTests: XCTestCase {
    private func decode(_ name: String) throws -> ShardManifest {
        let url = Fixtures.directory.appendingPathComponent("fuzz-regressions").appendingPathComponent(name)
        return try ShardManifest.decode(Array(try Data(contentsOf: url)), path: name)
    }

    private func assertCorrupt(_ name: String, mentioning words: String, line: UInt = #line) {
        XCTAssertThrowsError(try decode(name), line: line) { error in
            let error = error as? DataError
            XCTAssertEqual(error?.kind, .corrupt, name, line: line)
            XCTAssertEqual(error?.path, name, line: line)
            XCTAssertTrue(error?.reason.contains(words) ?? false, "\(String(describing: error))", line: line)
        }
    }

    /// As the fuzzer found it: sample_shape [1, 8, 4611686018427387904] (2^62), whose element
    /// count (2^65) overflows `Int`.
    func testSampleShapeWhoseElementCountOverflowsIsRefused() {
        assertCorrupt("manifest-sample-shape-overflow.json", mentioning: "sample_shape [1, 8, 4611686018427387904]")
    }

    /// sample_shape [-2]: a negative element count, which `Tensor` refuses with a trap.
    func testNegativeSampleDimensionIsRefused() {
        assertCorrupt("manifest-negative-dimension.json", mentioning: "sample_shape [-2] has a negative dimension")
    }

    /// Samples Int.max + 1 in total: `totalSamples` (and a chunked dataset's count) overflowed.
    func testSampleCountsThatOverflowTogetherAreRefused() {
        assertCorrupt("manifest-samples-overflow.json", mentioning: "add up to more than 9223372036854775807")
    }

    /// The limit itself is accepted: one sample of 2^28 elements (an 8192 x 8192 RGBA image).
    func testLargestSampleShapeIsAccepted() throws {
        func manifest(width: Int) -> [UInt8] {
            Array(
                """
                {"format_version": 1, "sample_format": "png", "sample_shape": [4, 8192, \(width)], "channels": "rgba",
                 "class_names": ["a"], "shards": [{"name": "shard-00000.mrshard", "samples": 1, "bytes": 100, "crc32": 0}]}
                """.utf8)
        }
        XCTAssertEqual(try ShardManifest.decode(manifest(width: 8192), path: "m.json").sampleShape, [4, 8192, 8192])
        XCTAssertThrowsError(try ShardManifest.decode(manifest(width: 8193), path: "m.json")) {
            XCTAssertEqual(($0 as? DataError)?.kind, .corrupt)
        }
    }
}
