import CMatrixKernel
import TestSupport
import XCTest

@testable import Tensors

/// The products that keep to gradient chunks: the weight-gradient kernel against a scalar
/// reference written here (fused multiply-add per row in row order, chunk values paired up the
/// tree), on every vector path this CPU has; a hand-worked case where the tree's grouping shows;
/// and the row-chunked product against each chunk computed alone and against float64.
final class ChunkedProductTests: XCTestCase {
    /// The reference: for each (i, j), per chunk `acc = fma(a[r][i], b[r][j], acc)` from 0 over the
    /// chunk's rows, chunk values paired level by level (slot s += slot s + 2^(l-1)), then added to 0.
    private func reference(_ a: Tensor, _ b: Tensor, rowChunks: [Range<Int>]) -> [Float] {
        let (p, q) = (a.shape[1], b.shape[1])
        var result = [Float](repeating: 0, count: p * q)
        for i in 0..<p {
            for j in 0..<q {
                var values = rowChunks.map { rows -> Float in
                    var acc: Float = 0
                    for r in rows { acc = acc.addingProduct(a[flat: r * p + i], b[flat: r * q + j]) }
                    return acc
                }
                var half = 1
                while half < values.count {
                    for left in stride(from: 0, to: values.count, by: 2 * half) where left + half < values.count {
                        values[left] += values[left + half]
                    }
                    half *= 2
                }
                result[i * q + j] = 0 + values[0]
            }
        }
        return result
    }

    /// 37 rows in chunks of 8 (five chunks, the last of 5 rows), then 48 rows (six chunks) and 8
    /// (one), a 19 x 83 gradient: 83 columns take blocks of 48, 32 and a masked 3, and 19 rows
    /// leave a tail of 3, so every block shape, edge and pairing of chunks runs.
    func testKernelMatchesTheScalarReferenceOnEveryPathBitForBit() {
        for rowCount in [37, 48, 8] {
            let a = Tensor.random([rowCount, 19], seed: 1)
            let b = Tensor.random([rowCount, 83], seed: 2)
            let chunks = stride(from: 0, to: rowCount, by: 8).map { $0..<min($0 + 8, rowCount) }
            let expected = reference(a, b, rowChunks: chunks)
            var total = Tensor(shape: [19, 83], repeating: 0)
            Tensor.addChunkedProducts(transposing: a, b, rowChunks: chunks, into: &total)
            XCTAssertEqual(total.scalars, expected, "\(rowCount) rows, the best path of this CPU (\(millrace_vector_path()))")
            let starts = chunks.map(\.lowerBound) + [rowCount]
            let pairs = ChunkTree(chunkCount: chunks.count).kernelSchedule
            for path in 0...millrace_vector_path() {
                var out = [Float](repeating: 0, count: 19 * 83)
                var scratch = [Float](repeating: 0, count: millrace_chunked_outer_scratch(chunks.count))
                // Two calls over a split of the output rows (7 and 12): the split must not matter.
                for rows in [0..<7, 7..<19] {
                    millrace_add_chunked_outer_products(
                        a.scalars, 19, b.scalars, 83, starts, chunks.count, pairs, pairs.count / 2, rows.lowerBound, rows.upperBound, 83, &out, 83,
                        Int32(path), &scratch)
                }
                XCTAssertEqual(out, expected, "\(rowCount) rows, path \(path)")
            }
            // And the value: within float rounding of the float64 sum.
            for i in 0..<19 {
                for j in 0..<83 {
                    let exact = (0..<rowCount).reduce(0.0) { $0 + Double(a[flat: $1 * 19 + i]) * Double(b[flat: $1 * 83 + j]) }
                    XCTAssertEqual(Double(total[flat: i * 83 + j]), exact, accuracy: 1e-5)
                }
            }
        }
    }

    /// Chunks of one row with values 1e8, 1, -1e8, 1, 1 (Float spacing is 8 at 1e8): the tree
    /// gives ((1e8 + 1) + (-1e8 + 1)) + 1 = 0 + 1 = 1; a running sum would give 2. Added to 0.5.
    func testKernelAddsChunksUpTheTree() {
        let a = Tensor(shape: [5, 1], scalars: [1e8, 1, -1e8, 1, 1])
        let b = Tensor(shape: [5, 1], scalars: [1, 1, 1, 1, 1])
        var total = Tensor(shape: [1, 1], scalars: [0.5])
        Tensor.addChunkedProducts(transposing: a, b, rowChunks: (0..<5).map { $0..<($0 + 1) }, into: &total)
        XCTAssertEqual(total.scalars, [1.5])
        var columns = Tensor(shape: [1], scalars: [0.5])
        Tensor.addChunkedColumnSums(of: a, rowChunks: (0..<5).map { $0..<($0 + 1) }, into: &columns)
        XCTAssertEqual(columns.scalars, [1.5])
    }

    /// Each chunk's rows of the row-chunked product are the bits of that chunk's product alone,
    /// and within rounding of float64.
    func testRowChunkedProductComputesEachChunkOnItsOwn() {
        let a = Tensor.random([21, 30], seed: 3)
        let w = Tensor.random([17, 30], seed: 4)
        let chunks = [0..<8, 8..<16, 16..<21]
        let whole = Tensor.matmul(a, w, transposeB: true, rowChunks: chunks)
        for chunk in chunks {
            let alone = Tensor.matmul(a.rows(chunk), w, transposeB: true, rowChunks: [0..<chunk.count])
            XCTAssertEqual(whole.rows(chunk).scalars, alone.scalars, "rows \(chunk)")
        }
        for r in 0..<21 {
            for o in 0..<17 {
                let exact = (0..<30).reduce(0.0) { $0 + Double(a[flat: r * 30 + $1]) * Double(w[flat: o * 30 + $1]) }
                XCTAssertEqual(Double(whole[flat: r * 17 + o]), exact, accuracy: 1e-5)
            }
        }
    }
}
