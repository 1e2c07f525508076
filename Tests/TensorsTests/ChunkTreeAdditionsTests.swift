import CMatrixKernel
import XCTest

@testable import Tensors

/// The one written form of the tree's summation order (`ChunkTree.additions`) and the paths that
/// run through it: against hand-worked lists, against the tree's recursive definition written
/// here (node = left + right), and the C kernel, on every vector path, against the Swift
/// primitive bit for bit for 1 to 33 chunks, odd counts and empty chunks included.
final class ChunkTreeAdditionsTests: XCTestCase {
    private typealias Addition = ChunkTree.Addition

    /// Values whose sums round differently when grouped differently: magnitudes from 2^-8 to 2^20.
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            let magnitude = Float(sign: .plus, exponent: Int(generator.next() % 29) - 8, significand: 1 + generator.nextUnitFloat())
            return generator.next() % 2 == 0 ? magnitude : -magnitude
        }
    }

    /// The tree's definition, independent of the additions: a node is its left child plus its
    /// right child, or its left child alone when the right covers no chunk.
    private func recursiveSum<Value: FloatingPoint>(_ leaves: [[Value]], level: Int, index: Int) -> [Value] {
        if level == 0 { return leaves[index] }
        let left = recursiveSum(leaves, level: level - 1, index: 2 * index)
        guard (2 * index + 1) << (level - 1) < leaves.count else { return left }
        let right = recursiveSum(leaves, level: level - 1, index: 2 * index + 1)
        return zip(left, right).map { $0 + $1 }
    }

    /// Worked by hand: 5 chunks pair (0,1) (2,3) at level 1, (0,2) at level 2, (0,4) at level 3;
    /// 6 chunks add (4,5) at level 1; one chunk has none; node (1, 1) of 5 is (2,3) alone and
    /// node (2, 1) (chunk 4 only) none.
    func testAdditionsAreTheTreesPairsLevelByLevel() {
        let five = ChunkTree(chunkCount: 5)
        XCTAssertEqual(
            five.additions(building: five.root),
            [
                Addition(level: 1, target: 0, addend: 1), Addition(level: 1, target: 2, addend: 3), Addition(level: 2, target: 0, addend: 2),
                Addition(level: 3, target: 0, addend: 4),
            ])
        XCTAssertEqual(five.kernelSchedule, [0, 1, 2, 3, 0, 2, 0, 4])
        let six = ChunkTree(chunkCount: 6)
        XCTAssertEqual(six.kernelSchedule, [0, 1, 2, 3, 4, 5, 0, 2, 0, 4])
        XCTAssertEqual(ChunkTree(chunkCount: 1).additions(building: ChunkTree(chunkCount: 1).root), [])
        XCTAssertEqual(five.additions(building: ChunkTree.Node(level: 1, index: 1)), [Addition(level: 1, target: 2, addend: 3)])
        XCTAssertEqual(five.additions(building: ChunkTree.Node(level: 2, index: 1)), [])
    }

    /// For 1 to 33 chunks: the primitive over float vectors, over doubles and over buffers (in
    /// blocks, 4,100 elements wide) gives the recursive definition's bits; and every split of the
    /// chunks into 2 to 5 contiguous runs, summed as claims and combined as known nodes, too.
    func testEverySumMatchesTheRecursiveDefinition() {
        for count in 1...33 {
            let tree = ChunkTree(chunkCount: count)
            let leaves = (0..<count).map { values(3, seed: UInt64(100 * count + $0)) }
            let expected = recursiveSum(leaves, level: tree.height, index: 0)
            XCTAssertEqual(tree.value(of: tree.root, leaf: { leaves[$0] }), expected, "\(count) chunks")
            let doubles = leaves.map { $0.map { Double($0) / 3 } }
            let doubleSum = tree.sum(width: 3) { doubles[$0][...] }
            XCTAssertEqual(doubleSum, recursiveSum(doubles, level: tree.height, index: 0), "\(count) chunks, doubles")
            for runs in 2...5 {
                let bounds = (0...runs).map { $0 * count / runs }
                var known: [ChunkTree.Node: [Float]] = [:]
                for run in 0..<runs {
                    for claim in tree.claims(owning: bounds[run]..<bounds[run + 1]) {
                        known[claim] = tree.value(of: claim, leaf: { leaves[$0] })
                    }
                }
                let combined = tree.value(
                    of: tree.root, known: { known[$0] },
                    leaf: { chunk in
                        XCTFail("chunk \(chunk) asked")
                        return leaves[chunk]
                    })
                XCTAssertEqual(combined, expected, "\(count) chunks in \(runs) runs")
            }
            let width = 4100
            var partials = (0..<count).flatMap { values(width, seed: UInt64(7000 + 100 * count + $0)) }
            let wide = (0..<count).map { Array(partials[($0 * width)..<(($0 + 1) * width)]) }
            var total = [Float](repeating: 0.5, count: width)
            partials.withUnsafeMutableBufferPointer { p in
                total.withUnsafeMutableBufferPointer { t in
                    tree.accumulate(partials: p.baseAddress!, stride: width, width: width, into: t.baseAddress!)
                }
            }
            XCTAssertEqual(total, recursiveSum(wide, level: tree.height, index: 0).map { 0.5 + $0 }, "\(count) chunks, buffers")
        }
    }

    /// The C kernel (which takes the tree's additions) against the Swift primitive: each chunk's
    /// value computed here (fused multiply-add per row in order), summed by `reduce`, added to 0
    /// and then to the total; 1 to 33 chunks of 0 to 3 rows (empty chunks among them), a 19 x 83
    /// gradient (every block shape and edge), on every path this CPU has, bit for bit.
    func testKernelMatchesTheSwiftPrimitiveForOneToThirtyThreeChunks() {
        let (p, q) = (19, 83)
        for count in 1...33 {
            var generator = RandomGenerator(seed: UInt64(count))
            let sizes = (0..<count).map { _ in Int(generator.next() % 4) }
            let starts = sizes.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1) }
            let rows = starts[count]
            let a = values(rows * p, seed: UInt64(500 + count))
            let b = values(rows * q, seed: UInt64(900 + count))
            let initial = values(p * q, seed: UInt64(1300 + count))
            let tree = ChunkTree(chunkCount: count)
            var expected = initial
            for i in 0..<p {
                for j in 0..<q {
                    let sum = tree.reduce(
                        tree.root,
                        leaf: { chunk -> Float in
                            (starts[chunk]..<starts[chunk + 1]).reduce(Float(0)) { $0.addingProduct(a[$1 * p + i], b[$1 * q + j]) }
                        }, add: { $0 += $1 })
                    expected[i * q + j] += 0 + sum
                }
            }
            let pairs = tree.kernelSchedule
            for path in 0...millrace_vector_path() {
                var out = initial
                var scratch = [Float](repeating: 0, count: millrace_chunked_outer_scratch(count))
                for block in [0..<8, 8..<19] {
                    millrace_add_chunked_outer_products(
                        a, p, b, q, starts, count, pairs, pairs.count / 2, block.lowerBound, block.upperBound, q, &out, q, Int32(path), &scratch)
                }
                let differing = out.indices.first { out[$0].bitPattern != expected[$0].bitPattern }
                XCTAssertNil(differing, "\(count) chunks (sizes \(sizes)), path \(path): first differing element")
            }
        }
    }
}
