extension Tensor {
    /// The sum of all elements, accumulated in double precision.
    public func sum() -> Float {
        var total = 0.0
        withUnsafeBufferPointer { buffer in
            for value in buffer { total += Double(value) }
        }
        return Float(total)
    }

    /// The mean of all elements (NaN for an empty tensor).
    public func mean() -> Float {
        sum() / Float(count)
    }

    /// The largest element (`-inf` for an empty tensor; NaN if any element is NaN).
    public func max() -> Float {
        withUnsafeBufferPointer { $0.reduce(-Float.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) } }
    }

    /// Sums along `axis`, removing it from the shape.
    public func sum(alongAxis axis: Int) -> Tensor {
        reduce(alongAxis: axis) { values in
            var total = 0.0
            for value in values { total += Double(value) }
            return Float(total)
        }
    }

    /// Averages along `axis`, removing it from the shape.
    public func mean(alongAxis axis: Int) -> Tensor {
        let length = Float(shape[normalized(axis)])
        return sum(alongAxis: axis).map { $0 / length }
    }

    /// The largest value along `axis`, removing it from the shape.
    public func max(alongAxis axis: Int) -> Tensor {
        reduce(alongAxis: axis) { values in
            values.reduce(-Float.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        }
    }

    /// The index of the largest value along `axis` (the first one on ties), in row-major order
    /// of the remaining dimensions.
    public func argmax(alongAxis axis: Int) -> [Int] {
        reduce(alongAxis: axis) { values in
            var best = 0
            for index in values.indices where values[index] > values[best] || values[best].isNaN {
                best = index
                if values[best].isNaN { break }
            }
            return Float(best)
        }.scalars.map { Int($0) }
    }

    /// Resolves a negative axis (counting from the end) and checks that it is in range.
    public func normalized(_ axis: Int) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < rank, "Axis \(axis) out of range for shape \(shape)")
        return resolved
    }

    /// Reduces every line along `axis` to one value with `body`.
    private func reduce(alongAxis axis: Int, _ body: ([Float]) -> Float) -> Tensor {
        let axis = normalized(axis)
        let outer = Tensor.elementCount(of: Array(shape[..<axis]))
        let length = shape[axis]
        let inner = Tensor.elementCount(of: Array(shape[(axis + 1)...]))
        var resultShape = shape
        resultShape.remove(at: axis)
        var line = [Float](repeating: 0, count: length)
        var result = [Float](repeating: 0, count: outer * inner)
        withUnsafeBufferPointer { buffer in
            for o in 0..<outer {
                for i in 0..<inner {
                    for l in 0..<length { line[l] = buffer[(o * length + l) * inner + i] }
                    result[o * inner + i] = body(line)
                }
            }
        }
        return Tensor(shape: resultShape, scalars: result)
    }
}
