import TestSupport
import XCTest

@testable import Tensors

final class MatrixMultiplyTests: XCTestCase {
    /// op(A) op(B) computed naively in double precision: the independent reference.
    private func reference(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> [Double] {
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[flat: p * a.shape[1] + i] : a[flat: i * a.shape[1] + p]
                    let y = transposeB ? b[flat: j * b.shape[1] + p] : b[flat: p * b.shape[1] + j]
                    total += Double(x) * Double(y)
                }
                c[i * n + j] = total
            }
        }
        return c
    }

    private func assertClose(_ actual: Tensor, _ expected: [Double], k: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        // Float32 accumulation over k uniform(-1, 1) products: error grows like sqrt(k) ulp.
        let tolerance = 1e-5 * Double(max(k, 1)).squareRoot() * 4
        var worst = 0.0
        for (x, y) in zip(actual.scalars, expected) { worst = max(worst, abs(Double(x) - y)) }
        XCTAssertLessThanOrEqual(worst, tolerance, "worst error \(worst)", file: file, line: line)
    }

    private func checkAllTranspositions(sizes: [Int], file: StaticString = #filePath, line: UInt = #line) {
        var seed: UInt64 = 1
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                        seed += 1
                        let a = Tensor.random(ta ? [k, m] : [m, k], seed: seed)
                        let b = Tensor.random(tb ? [n, k] : [k, n], seed: seed + 1000)
                        let c = Tensor.matmul(a, b, transposeA: ta, transposeB: tb, threads: 1)
                        XCTAssertEqual(c.shape, [m, n])
                        assertClose(c, reference(a, b, transposeA: ta, transposeB: tb), k: k, file: file, line: line)
                    }
                }
            }
        }
    }

    func testOddSizesAgainstFloat64Reference() {
        checkAllTranspositions(sizes: [1, 3, 17])
    }

    func testLargerOddSizesCrossBlockBoundaries() {
        // ProductBlocks cuts 255x255x255 into four column blocks (0, 64, 128, 192; the last 63 wide);
        // the others are one block each, with odd row and column counts (7, 33, 145, 300) and
        // inner dimensions just past powers of two (257, 513).
        for (m, n, k) in [(255, 255, 255), (300, 7, 300), (7, 300, 257), (145, 33, 513)] {
            let a = Tensor.random([m, k], seed: UInt64(m * n))
            let b = Tensor.random([n, k], seed: UInt64(k))
            assertClose(Tensor.matmul(a, b, transposeB: true, threads: 1), reference(a, b, transposeA: false, transposeB: true), k: k)
        }
    }

    func testBackendIsOneDNNWithItsVersion() {
        XCTAssertEqual(MatrixBackend.name, "oneDNN")
        let parts = MatrixBackend.version.split(separator: ".").compactMap { Int($0) }
        XCTAssertEqual(parts.count, 3, MatrixBackend.version)
        XCTAssertGreaterThanOrEqual(parts.first ?? 0, 2)
        XCTAssertEqual(Tensor.matrixKernelName, "oneDNN \(MatrixBackend.version)")
        // Debian's oneDNN threads with OpenMP; its thread limit is per calling thread and set to 1.
        XCTAssertTrue(MatrixBackend.limitLibraryThreadsToCallingThread())
    }

    func testAlphaBetaAccumulate() {
        let a = Tensor([[1, 2], [3, 4]])
        let b = Tensor([[5, 6], [7, 8]])
        // a·b = [[19, 22], [43, 50]] (by hand); 2·a·b + 0.5·c with c = [[2, 2], [2, 2]].
        var c = Tensor(shape: [2, 2], repeating: 2)
        Tensor.multiply(a, b, alpha: 2, beta: 0.5, into: &c)
        XCTAssertEqual(c.scalars, [39, 45, 87, 101])
    }

    func testAlphaScalesFullPanelsAndRaggedEdges() {
        // One ProductBlocks block (too little work to cut): alpha scales a 13x19 product with an odd
        // inner dimension (43), plain and with either operand transposed.
        for (ta, tb) in [(false, false), (false, true), (true, false)] {
            let a = Tensor.random(ta ? [43, 13] : [13, 43], seed: 21)
            let b = Tensor.random(tb ? [19, 43] : [43, 19], seed: 22)
            var c = Tensor(shape: [13, 19], repeating: 0)
            Tensor.multiply(a, b, transposeA: ta, transposeB: tb, alpha: -0.5, into: &c)
            assertClose(c, reference(a, b, transposeA: ta, transposeB: tb).map { -0.5 * $0 }, k: 43)
        }
    }

    func testBetaZeroIgnoresNaNInOutput() {
        let a = Tensor([[1, 2], [3, 4]])
        let b = Tensor([[1, 0], [0, 1]])
        var c = Tensor(shape: [2, 2], repeating: .nan)
        Tensor.multiply(a, b, beta: 0, into: &c)
        XCTAssertEqual(c.scalars, [1, 2, 3, 4])
    }

    func testZeroInnerDimensionGivesZeros() {
        let c = Tensor.matmul(Tensor(shape: [3, 0]), Tensor(shape: [0, 2]))
        XCTAssertEqual(c, Tensor(shape: [3, 2], repeating: 0))
    }

    func testBlocksDependOnlyOnTheShapeAndCoverTheOutput() {
        // The MLP's 64x784 x 784x256 product (26 MFLOP) is cut in four, so two threads share it.
        XCTAssertEqual(ProductBlocks(m: 64, n: 256, k: 784).count, 4)
        XCTAssertEqual(ProductBlocks(m: 8, n: 8, k: 8).count, 1)
        for (m, n, k) in [(64, 256, 784), (256, 784, 64), (600, 40, 300), (1024, 1024, 1024), (7, 300, 2000), (33, 17, 5)] {
            let blocks = ProductBlocks(m: m, n: n, k: k)
            XCTAssertEqual(blocks.count & (blocks.count - 1), 0, "\(blocks.count) blocks is not a power of two")
            XCTAssertLessThanOrEqual(blocks.count, ProductBlocks.maximumCount)
            XCTAssertEqual(blocks.extent, blocks.splitsColumns ? n : m)
            var next = 0
            for index in 0..<blocks.count {
                let range = blocks.range(index)
                XCTAssertEqual(range.lowerBound, next)
                XCTAssertFalse(range.isEmpty)
                XCTAssertEqual(range.lowerBound % blocks.unit, 0)
                next = range.upperBound
            }
            XCTAssertEqual(next, blocks.extent)
        }
    }

    func testThreadCountDoesNotChangeBits() {
        // Every product here is cut into at least four blocks (asserted), so with 2, 3 or 4 threads
        // the blocks really run on different threads; the bits must match one thread's exactly,
        // and the values the float64 reference.
        let cases: [(m: Int, n: Int, k: Int, ta: Bool, tb: Bool)] = [
            (64, 256, 784, false, true),  // the MLP's forward product (weight transposed)
            (256, 784, 64, true, false),  // its weight gradient
            (200, 300, 260, false, false),
            (600, 80, 300, false, false),  // tall: cut into row blocks
            (333, 129, 301, true, true),  // ragged blocks, both transposed
        ]
        for (index, c) in cases.enumerated() {
            let blocks = ProductBlocks(m: c.m, n: c.n, k: c.k)
            XCTAssertGreaterThanOrEqual(blocks.count, 4, "\(c) should be split")
            let a = Tensor.random(c.ta ? [c.k, c.m] : [c.m, c.k], seed: UInt64(10 + index))
            let b = Tensor.random(c.tb ? [c.n, c.k] : [c.k, c.n], seed: UInt64(20 + index))
            let one = Tensor.matmul(a, b, transposeA: c.ta, transposeB: c.tb, threads: 1)
            assertClose(one, reference(a, b, transposeA: c.ta, transposeB: c.tb), k: c.k)
            for threads in [2, 3, 4] {
                let many = Tensor.matmul(a, b, transposeA: c.ta, transposeB: c.tb, threads: threads)
                XCTAssertEqual(one.scalars.map(\.bitPattern), many.scalars.map(\.bitPattern), "\(c) with \(threads) threads")
            }
            // Accumulating into an existing output (beta = 1, as weight gradients do) also keeps its bits.
            var accumulatedOne = Tensor(shape: [c.m, c.n], repeating: 0.25)
            var accumulatedTwo = accumulatedOne
            Tensor.multiply(a, b, transposeA: c.ta, transposeB: c.tb, beta: 1, into: &accumulatedOne, threads: 1)
            Tensor.multiply(a, b, transposeA: c.ta, transposeB: c.tb, beta: 1, into: &accumulatedTwo, threads: 2)
            XCTAssertEqual(accumulatedOne.scalars.map(\.bitPattern), accumulatedTwo.scalars.map(\.bitPattern))
        }
    }
}
