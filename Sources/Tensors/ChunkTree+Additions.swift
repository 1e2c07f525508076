/// The tree's summation order, written once. `forEachAddition(building:_:)` gives the additions
/// that make a node from its leaves; `reduce` is the one primitive that sums up the tree with
/// them, for any kind of value (gradient vectors, batch-normalisation sums, blocks of a buffer);
/// the C kernels take the same list (`kernelSchedule`). Every sum over chunks has their bits.
extension ChunkTree {
    /// One addition of the tree: the node at `level` whose first chunk is `target` becomes its
    /// left child (held in the slot of chunk `target`) plus its right child (held in the slot of
    /// chunk `addend`), and stays in slot `target`.
    public struct Addition: Hashable, Sendable {
        /// The level of the node this addition makes (1 or more).
        public var level: Int
        /// The first chunk of the node and of its left child: the slot that receives the sum.
        public var target: Int
        /// The first chunk of the right child: the slot that is added.
        public var addend: Int

        /// `slot[target] += slot[addend]`, making a node at `level`.
        public init(level: Int, target: Int, addend: Int) {
            self.level = level
            self.target = target
            self.addend = addend
        }
    }

    /// Calls `body` with each addition that builds `node` from its leaves, in the order they
    /// run: level 1 first, then level 2 and up; left to right within a level. Each node is its
    /// left child plus its right child; a node whose right child covers no chunk (cut at the
    /// chunk count) has no addition: it is its left child. Running them in place over slots that
    /// start as the chunks' values leaves `node`'s value in the slot of its first chunk.
    ///
    /// This is the one definition of the tree's summation order; everything that sums over
    /// chunks runs through it (`reduce`, `accumulate`, the C kernel through `kernelSchedule`).
    public func forEachAddition(building node: Node, _ body: (Addition) throws -> Void) rethrows {
        let covered = chunks(under: node)
        var level = 1
        while level <= node.level {
            let half = 1 << (level - 1)
            for target in stride(from: covered.lowerBound, to: covered.upperBound - half, by: 2 * half) {
                try body(Addition(level: level, target: target, addend: target + half))
            }
            level += 1
        }
    }

    /// The additions that build `node` (`forEachAddition(building:_:)`), in order: one fewer
    /// than the chunks under `node`.
    public func additions(building node: Node) -> [Addition] {
        var result: [Addition] = []
        result.reserveCapacity(Swift.max(0, chunks(under: node).count - 1))
        forEachAddition(building: node) { result.append($0) }
        return result
    }

    /// The value of `node` summed up the tree: the one primitive every sum over chunks runs
    /// through. The parts are placed first: a node that `known` gives a value for (asked top
    /// down) goes in the slot of its first chunk, and so does each leaf under no such node
    /// (`leaf`, asked left to right, each at most once). Then `node`'s additions run in order,
    /// `add(&slot[target], slot[addend])`, skipping those inside a known node (where a slot is
    /// empty). So a node known from elsewhere (another rank's claim) has the bits it would have
    /// had if it were summed here.
    public func reduce<Value>(
        _ node: Node, known: (Node) -> Value? = { _ in nil }, leaf: (Int) throws -> Value, add: (inout Value, Value) -> Void
    ) rethrows -> Value {
        let first = node.index << node.level
        var slots = [Value?](repeating: nil, count: 1 << node.level)
        var pending = [node]
        pending.reserveCapacity(node.level + 1)
        while let part = pending.popLast() {
            if let value = known(part) {
                slots[(part.index << part.level) - first] = value
            } else if part.level == 0 {
                slots[part.index - first] = try leaf(part.index)
            } else {
                let right = Node(level: part.level - 1, index: 2 * part.index + 1)
                if !chunks(under: right).isEmpty { pending.append(right) }
                pending.append(Node(level: part.level - 1, index: 2 * part.index))
            }
        }
        forEachAddition(building: node) { addition in
            let (target, addend) = (addition.target - first, addition.addend - first)
            guard slots[target] != nil, let value = slots[addend].take() else { return }
            add(&slots[target]!, value)
        }
        return slots[0]!
    }

    /// The value of `node` for vectors of floats (gradients): `reduce` with element-wise sums.
    public func value(of node: Node, known: (Node) -> [Float]? = { _ in nil }, leaf: (Int) throws -> [Float]) rethrows -> [Float] {
        try reduce(node, known: known, leaf: leaf, add: { total, addend in ChunkTree.add(addend, to: &total) })
    }

    /// The sum of every chunk's vector of `width` doubles (`leaf(chunk)`, such as a chunk's
    /// batch-normalisation sums), grouped as this tree groups gradients: the same bits whatever
    /// the rank count.
    public func sum(width: Int, leaf: (Int) -> ArraySlice<Double>) -> [Double] {
        guard chunkCount > 0 else { return [Double](repeating: 0, count: width) }
        return reduce(
            root, leaf: { Array(leaf($0)) },
            add: { total, addend in
                for index in 0..<width { total[index] += addend[index] }
            })
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
