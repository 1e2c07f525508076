import Millrace
import XCTest

/// `import Millrace` alone reaches every public module (the one import a user writes).
final class UmbrellaImportTests: XCTestCase {
    /// A Dense forward pass and one SGD step, both computed by hand, and one type of each other module.
    func testOneImportReachesEveryModule() throws {
        // Tensors, Layers: [1, 2]·[0.5, -1]ᵀ + 0.25 = 0.5 - 2 + 0.25 = -1.25.
        let dense = try Dense(weight: Tensor([[0.5, -1]]), bias: Tensor([0.25]))
        XCTAssertEqual(dense(Tensor([[1, 2]])).scalars, [-1.25])
        // Optimizers: w -= 0.5·g with g = [2, 4] and [1] (exact in binary): [-0.5, -3], [-0.25].
        dense.weight.gradient = Tensor([[2, 4]])
        dense.bias?.gradient = Tensor([1])
        SGD(learningRate: 0.5).step(dense)
        XCTAssertEqual(dense.weight.value.scalars, [-0.5, -3])
        XCTAssertEqual(dense.bias?.value.scalars, [-0.25])
        // Distributed, SystemIO, TabularFormats, Tensors' chunk tree.
        XCTAssertEqual(SingleProcess().rankCount, 1)
        XCTAssertTrue(PathOverlap.isWithin("/data/set/a", "/data/set"))
        XCTAssertEqual(CSVOptions().maximumFieldBytes, 64 * 1024 * 1024)
        XCTAssertEqual(ChunkTree(chunkCount: 5).height, 3)
        // Types of the remaining modules, named through the one import.
        let types: [Any.Type] = [
            ImageFolder.self, ShardPacker.self, CheckpointStore.self, Trainer.self, RunReport.self, BatchPipeline.self,
        ]
        XCTAssertEqual(types.count, 6)
    }
}
