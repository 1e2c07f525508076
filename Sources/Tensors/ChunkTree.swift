/// The one fixed summation tree over the chunks of a global batch: leaves are chunks, a node
/// at `level` covers chunks `[index << level, (index + 1) << level)` (cut at the chunk count),
/// and its value is `left + right` (or `left` alone when the right child covers nothing). Its
/// additions (`forEachAddition(building:_:)`, in ChunkTree+Additions.swift) are the one written
/// form of that order: every sum up the tree, in Swift and in the C kernel, runs through them.
///
/// Every rank owns a contiguous run of chunks and sums the largest whole subtrees inside it
/// (its claims); the claims of all ranks are nodes of this same tree, so combining them gives
/// the same bits as summing all chunks in one process, for any number of ranks.
public struct ChunkTree: Sendable, Equatable {
    /// A node of the tree.
    public struct Node: Hashable, Sendable {
        /// 0 for a leaf (one chunk).
        public var level: Int
        /// The node's number within its level.
        public var index: Int

        /// The node numbered `index` at `level`.
        public init(level: Int, index: Int) {
            self.level = level
            self.index = index
        }
    }

    /// The number of chunks (leaves).
    public let chunkCount: Int
    /// The root's level: the smallest `h` with `2^h >= chunkCount`.
    public let height: Int

    /// The tree over `chunkCount` chunks.
    public init(chunkCount: Int) {
        self.chunkCount = chunkCount
        var height = 0
        while (1 << height) < chunkCount { height += 1 }
        self.height = height
    }

    /// The root.
    public var root: Node { Node(level: height, index: 0) }

    /// The chunks under `node`.
    public func chunks(under node: Node) -> Range<Int> {
        min(node.index << node.level, chunkCount)..<min((node.index + 1) << node.level, chunkCount)
    }

    /// The largest nodes whose chunks all lie in `owned`, left to right.
    public func claims(owning owned: Range<Int>) -> [Node] {
        var result: [Node] = []
        func visit(_ node: Node) {
            let covered = chunks(under: node)
            guard !covered.isEmpty, covered.overlaps(owned) else { return }
            if owned.lowerBound <= covered.lowerBound && covered.upperBound <= owned.upperBound {
                result.append(node)
            } else if node.level > 0 {
                visit(Node(level: node.level - 1, index: 2 * node.index))
                visit(Node(level: node.level - 1, index: 2 * node.index + 1))
            }
        }
        guard chunkCount > 0 else { return [] }
        visit(root)
        return result
    }
}
