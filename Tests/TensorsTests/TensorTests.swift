import DataPipeline
import SystemIO
import TestSupport
import XCTest

@testable import Tensors

final class TensorTests: XCTestCase {
    func testShapesAndIndexing() {
        var t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.rank, 2)
        XCTAssertEqual(t[1, 2], 6)
        t[0, 1] = 9
        XCTAssertEqual(t.scalars, [1, 9, 3, 4, 5, 6])
        XCTAssertEqual(Tensor(3).shape, [])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).shape, [2, 2])
    }

    func testCopyOnWriteKeepsValueSemantics() {
        let a = Tensor([1, 2, 3])
        var b = a
        b[0] = 7
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(b.scalars, [7, 2, 3])
    }

    func testElementwiseArithmeticAndRowBroadcast() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        let row = Tensor([10, 20, 30])
        XCTAssertEqual((x + row).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual((row - x).scalars, [9, 18, 27, 6, 15, 24])
        XCTAssertEqual((x * x).scalars, [1, 4, 9, 16, 25, 36])
        XCTAssertEqual((x / Tensor(2)).scalars, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual((2 * x - 1).scalars, [1, 3, 5, 7, 9, 11])
        XCTAssertEqual((-x).scalars, [-1, -2, -3, -4, -5, -6])
        var y = x
        y += row
        y -= Tensor([[1, 1, 1], [1, 1, 1]])
        XCTAssertEqual(y.scalars, [10, 21, 32, 13, 24, 35])
        y.addProduct(x, scaledBy: -1)
        XCTAssertEqual(y.scalars, [9, 19, 29, 9, 19, 29])
    }

    func testReductions() {
        let x = Tensor([[1, 5, 3], [4, 2, 6]])
        XCTAssertEqual(x.sum(), 21)
        XCTAssertEqual(x.mean(), 3.5)
        XCTAssertEqual(x.max(), 6)
        XCTAssertEqual(x.sum(alongAxis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(alongAxis: 1).scalars, [9, 12])
        XCTAssertEqual(x.mean(alongAxis: -1).scalars, [3, 4])
        XCTAssertEqual(x.max(alongAxis: 0).scalars, [4, 5, 6])
        XCTAssertEqual(x.argmax(alongAxis: 1), [1, 2])
        XCTAssertEqual(x.argmax(alongAxis: 0), [1, 0, 1])
        // Ties go to the first index, as in NumPy and PyTorch.
        XCTAssertEqual(Tensor([[2, 2, 1]]).argmax(alongAxis: 1), [0])
        let cube = Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(cube.sum(alongAxis: 1).scalars, [4, 6, 12, 14])
        XCTAssertEqual(cube.sum(alongAxis: 1).shape, [2, 2])
    }

    func testTransposeReshapeAndGather() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(x.transposed(), Tensor([[1, 4], [2, 5], [3, 6]]))
        XCTAssertEqual(x.reshaped(to: [3, -1]).shape, [3, 2])
        XCTAssertEqual(x.reshaped(to: [6]).scalars, x.scalars)
        XCTAssertEqual(x.gathering(rows: [1, 0, 1]), Tensor([[4, 5, 6], [1, 2, 3], [4, 5, 6]]))
        XCTAssertEqual(x.rows(1..<2), Tensor([[4, 5, 6]]))
    }

    /// After `MemoryTuning.keepFreedMemory()`, a 16 MB tensor freed and allocated again reuses
    /// mapped pages: the kernel's own count of first touches (minor faults) barely moves, where
    /// fresh memory would cost 4,096 of them.
    func testFreedTensorsStayMappedForTheNextStep() {
        #if os(Linux)
            XCTAssertTrue(MemoryTuning.keepFreedMemory())
            func step() { XCTAssertEqual(Tensor(shape: [4 << 20], repeating: 1)[4 << 19], 1) }
            step()
            let before = ResourceUsage.minorPageFaults()
            step()
            XCTAssertLessThan(ResourceUsage.minorPageFaults() - before, 400)
        #endif
    }
}
