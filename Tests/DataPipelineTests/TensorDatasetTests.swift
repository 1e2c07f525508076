import DataPipeline
import SystemIO
import Tensors
import XCTest

/// A `TensorDataset` whose labels do not match its feature rows is created (its initialiser
/// cannot throw) but refused with a `DataError` giving both counts before any sample is read.
final class TensorDatasetTests: XCTestCase {
    private func assertRefused(_ dataset: TensorDataset, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let fragments = [fragment, "TensorDataset(features:labels:)", "give one label per row"]
        func check(_ error: any Error) {
            XCTAssertEqual((error as? DataError)?.kind, .inconsistentShape, "\(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' missing from: \(error)", file: file, line: line)
            }
        }
        XCTAssertThrowsError(try BatchPipeline(dataset: dataset, configuration: PipelineConfiguration()), file: file, line: line) { check($0) }
        let subset = DatasetSubset(base: dataset, indices: [0])
        XCTAssertThrowsError(try BatchPipeline(dataset: subset, configuration: PipelineConfiguration()), file: file, line: line) { check($0) }
        XCTAssertThrowsError(try dataset.sample(at: 0), file: file, line: line) { check($0) }
    }

    func testMismatchedCountsAreRefused() {
        assertRefused(TensorDataset(features: Tensor(shape: [4, 2]), labels: [0, 1, 0]), "has 3 labels but features of 4 rows (shape [4, 2])")
        assertRefused(TensorDataset(features: Tensor(shape: [2, 2]), labels: [0, 1, 0, 1, 1]), "has 5 labels but features of 2 rows")
        assertRefused(TensorDataset(features: Tensor(1), labels: [0]), "has 1 label but features of a rank-0 tensor")
    }

    func testMatchingCountsPass() throws {
        let dataset = TensorDataset(features: Tensor([[1, 2], [3, 4]]), labels: [1, 0])
        XCTAssertNoThrow(try dataset.validate())
        XCTAssertEqual(try dataset.sample(at: 1).features.scalars, [3, 4])
        XCTAssertEqual(try dataset.sample(at: 1).label, 0)
    }
}
