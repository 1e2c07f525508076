/// The one fixed summation tree over the chunks of a global batch: leaves are chunks, a node
/// at `level` covers chunks `[index << level, (index + 1) << level)` (cut at the chunk count),
/// and its value is `left + right` (or `left` alone when the right child covers nothing).
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

    /// The value of `node`: `known(node)` if it gives one, else `leaf(chunk)` at a leaf, else
    /// the sum of its children. Leaves are asked for left to right, each at most once.
    public func value(of node: Node, known: (Node) -> [Float]? = { _ in nil }, leaf: (Int) throws -> [Float]) rethrows -> [Float] {
        if let value = known(node) { return value }
        if node.level == 0 { return try leaf(node.index) }
        var left = try value(of: Node(level: node.level - 1, index: 2 * node.index), known: known, leaf: leaf)
        let right = Node(level: node.level - 1, index: 2 * node.index + 1)
        if !chunks(under: right).isEmpty {
            ChunkTree.add(try value(of: right, known: known, leaf: leaf), to: &left)
        }
        return left
    }

    /// The sum of every chunk's vector of `width` doubles (`leaf(chunk)`, such as a chunk's
    /// batch-normalisation sums), grouped as this tree groups gradients: the same bits whatever
    /// the rank count.
    public func sum(width: Int, leaf: (Int) -> ArraySlice<Double>) -> [Double] {
        func value(of node: Node) -> [Double] {
            if node.level == 0 { return Array(leaf(node.index)) }
            var left = value(of: Node(level: node.level - 1, index: 2 * node.index))
            let right = Node(level: node.level - 1, index: 2 * node.index + 1)
            if !chunks(under: right).isEmpty {
                let addend = value(of: right)
                for index in 0..<width { left[index] += addend[index] }
            }
            return left
        }
        guard chunkCount > 0 else { return [Double](repeating: 0, count: width) }
        return value(of: root)
    }

    /// `total[i] += addend[i]` for every element.
    public static func add(_ addend: [Float], to total: inout [Float]) {
        precondition(addend.count == total.count, "ChunkTree: gradient vectors of \(addend.count) and \(total.count) elements")
        total.withUnsafeMutableBufferPointer { out in
            addend.withUnsafeBufferPointer { input in
                for index in 0..<out.count { out[index] += input[index] }
            }
        }
    }
}
