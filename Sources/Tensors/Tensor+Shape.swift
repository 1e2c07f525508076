extension Tensor {
    /// The same elements under a new shape; one dimension may be `-1` to be inferred.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "Cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        precondition(Tensor.elementCount(of: resolved) == count, "Cannot reshape \(shape) to \(newShape)")
        var copy = self
        copy.shape = resolved
        return copy
    }

    /// The transpose of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a rank-2 tensor, got shape \(shape)")
        let rows = shape[0]
        let columns = shape[1]
        return Tensor(
            shape: [columns, rows],
            unsafeUninitialized: { out in
                withUnsafeBufferPointer { input in
                    for r in 0..<rows {
                        for c in 0..<columns { out[c * rows + r] = input[r * columns + c] }
                    }
                }
            })
    }

    /// The sub-tensors at the given positions of the first dimension, stacked in that order
    /// (the rows of a mini-batch, say).
    public func gathering(rows indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gathering(rows:) needs a tensor of rank 1 or more")
        let rowLength = count / Swift.max(shape[0], 1)
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(
            shape: newShape,
            unsafeUninitialized: { out in
                withUnsafeBufferPointer { input in
                    for (position, row) in indices.enumerated() {
                        precondition(row >= 0 && row < shape[0], "Row \(row) out of range for shape \(shape)")
                        let source = UnsafeBufferPointer(rebasing: input[(row * rowLength)..<((row + 1) * rowLength)])
                        _ = UnsafeMutableBufferPointer(rebasing: out[(position * rowLength)..<((position + 1) * rowLength)])
                            .initialize(from: source)
                    }
                }
            })
    }

    /// The rows `range` of the first dimension (the tensor itself, not a copy, for all its rows).
    public func rows(_ range: Range<Int>) -> Tensor {
        if range == 0..<(shape.first ?? 0) { return self }
        return gathering(rows: Array(range))
    }

    /// `parts` stacked along the first dimension (their other dimensions must agree); a single
    /// part is returned as it is.
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0]) }
        if parts.count == 1 { return first }
        var shape = first.shape
        shape[0] = parts.reduce(0) { $0 + ($1.shape.first ?? 0) }
        for part in parts {
            precondition(Array(part.shape.dropFirst()) == Array(first.shape.dropFirst()), "concatenatingRows: \(part.shape) and \(first.shape)")
        }
        return Tensor(
            shape: shape,
            unsafeUninitialized: { out in
                var offset = 0
                for part in parts {
                    part.withUnsafeBufferPointer { input in
                        _ = UnsafeMutableBufferPointer(rebasing: out[offset..<(offset + input.count)]).initialize(from: input)
                        offset += input.count
                    }
                }
            })
    }
}
