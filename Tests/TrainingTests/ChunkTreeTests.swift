import DataPipeline
import Tensors
import XCTest

/// The fixed summation tree of data-parallel gradients, against hand-worked values.
final class ChunkTreeTests: XCTestCase {
    /// 11 samples in chunks of 3 among 2 and 4 ranks, worked by hand: chunks [0,3) [3,6) [6,9)
    /// [9,11); 2 ranks own chunks 0..<2 and 2..<4; 4 ranks one each.
    func testPlanDealsContiguousChunks() {
        let two = ChunkPlan(sampleCount: 11, chunkSize: 3, rankCount: 2)
        XCTAssertEqual(two.chunkCount, 4)
        XCTAssertEqual([two.chunks(ofRank: 0), two.chunks(ofRank: 1)], [0..<2, 2..<4])
        XCTAssertEqual([two.samples(ofRank: 0), two.samples(ofRank: 1)], [0..<6, 6..<11])
        XCTAssertEqual(two.samples(ofChunk: 3), 9..<11)
        let eight = ChunkPlan(sampleCount: 11, chunkSize: 3, rankCount: 8)
        XCTAssertEqual((0..<8).map { eight.chunks(ofRank: $0).count }, [0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(eight.samples(ofRank: 0), 0..<0)
    }

    /// Five chunks: root level 3; rank 0 of 2 owns chunks 0..<2 (node level 1 index 0), rank 1
    /// owns 2..<5: node (1, 1) = chunks 2..<4 and node (2, 1) = chunk 4 (its right half is empty).
    func testClaimsAreWholeSubtrees() {
        let tree = ChunkTree(chunkCount: 5)
        XCTAssertEqual(tree.height, 3)
        XCTAssertEqual(tree.claims(owning: 0..<5), [tree.root])
        XCTAssertEqual(tree.claims(owning: 0..<2), [ChunkTree.Node(level: 1, index: 0)])
        XCTAssertEqual(tree.claims(owning: 2..<5), [ChunkTree.Node(level: 1, index: 1), ChunkTree.Node(level: 2, index: 1)])
        XCTAssertEqual(tree.claims(owning: 1..<3), [ChunkTree.Node(level: 0, index: 1), ChunkTree.Node(level: 0, index: 2)])
        XCTAssertEqual(tree.claims(owning: 3..<3), [])
    }

    /// Leaves 1e8, 1, -1e8, 1, 1 in Float (spacing 8 at 1e8): the tree gives
    /// ((1e8 + 1) + (-1e8 + 1)) + 1 = (1e8 + -1e8) + 1 = 1, where a running sum gives
    /// (((1e8 + 1) - 1e8) + 1) + 1 = 2. Combining the claims of any rank split gives the tree's 1.
    func testClaimsCombineToTheTreeSumForAnySplit() {
        let leaves: [Float] = [1e8, 1, -1e8, 1, 1]
        XCTAssertEqual(leaves.reduce(0, +), 2)
        let tree = ChunkTree(chunkCount: 5)
        XCTAssertEqual(tree.value(of: tree.root, leaf: { [leaves[$0]] }), [1])
        for ranks in 1...5 {
            let plan = ChunkPlan(sampleCount: 5, chunkSize: 1, rankCount: ranks)
            var known: [ChunkTree.Node: [Float]] = [:]
            for rank in 0..<ranks {
                for node in tree.claims(owning: plan.chunks(ofRank: rank)) {
                    known[node] = tree.value(of: node, leaf: { [leaves[$0]] })
                }
            }
            let combined = tree.value(
                of: tree.root, known: { known[$0] },
                leaf: { _ in
                    XCTFail("leaf asked")
                    return [0]
                })
            XCTAssertEqual(combined, [1], "\(ranks) ranks")
        }
    }
}
