extension Tensor {
    /// Applies `transform` to every element.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(
            shape: shape,
            unsafeUninitialized: { out in
                withUnsafeBufferPointer { input in
                    for index in 0..<input.count { out[index] = transform(input[index]) }
                }
            })
    }

    /// Applies `transform` to corresponding elements of two tensors of the same shape.
    @inlinable
    public func zipMap(_ other: Tensor, _ transform: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "Shapes \(shape) and \(other.shape) differ")
        return Tensor(
            shape: shape,
            unsafeUninitialized: { out in
                withUnsafeBufferPointer { lhs in
                    other.withUnsafeBufferPointer { rhs in
                        for index in 0..<lhs.count { out[index] = transform(lhs[index], rhs[index]) }
                    }
                }
            })
    }

    /// Combines two tensors element-wise with broadcasting: the shapes are equal, or the smaller
    /// tensor's shape is a suffix of the larger's (a row vector over a batch, say), or the smaller
    /// holds a single element.
    public func broadcasting(_ other: Tensor, _ operation: (Float, Float) -> Float) -> Tensor {
        if shape == other.shape { return zipMap(other, operation) }
        if other.count <= count && Tensor.isBroadcastable(other.shape, to: shape) {
            return Tensor.broadcast(large: self, small: other, smallOnRight: true, operation)
        }
        precondition(
            Tensor.isBroadcastable(shape, to: other.shape),
            "Shapes \(shape) and \(other.shape) cannot be broadcast together")
        return Tensor.broadcast(large: other, small: self, smallOnRight: false, operation)
    }

    static func isBroadcastable(_ small: [Int], to large: [Int]) -> Bool {
        if elementCount(of: small) == 1 { return true }
        return small.count <= large.count && Array(large.suffix(small.count)) == small
    }

    private static func broadcast(
        large: Tensor, small: Tensor, smallOnRight: Bool, _ operation: (Float, Float) -> Float
    ) -> Tensor {
        let period = Swift.max(small.count, 1)
        return Tensor(
            shape: large.shape,
            unsafeUninitialized: { out in
                large.withUnsafeBufferPointer { big in
                    small.withUnsafeBufferPointer { little in
                        var base = 0
                        while base < big.count {
                            for offset in 0..<period {
                                let index = base + offset
                                out[index] =
                                    smallOnRight
                                    ? operation(big[index], little[offset])
                                    : operation(little[offset], big[index])
                            }
                            base += period
                        }
                    }
                }
            })
    }

    /// Element-wise sum, with broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.broadcasting(rhs, +) }
    /// Element-wise difference, with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.broadcasting(rhs, -) }
    /// Element-wise product, with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.broadcasting(rhs, *) }
    /// Element-wise quotient, with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.broadcasting(rhs, /) }

    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    /// Subtracts every element from a scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    /// Adds `rhs` element-wise in place (with broadcasting of `rhs`).
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        lhs.formBroadcasting(rhs, +)
    }

    /// Subtracts `rhs` element-wise in place (with broadcasting of `rhs`).
    public static func -= (lhs: inout Tensor, rhs: Tensor) {
        lhs.formBroadcasting(rhs, -)
    }

    /// Multiplies element-wise in place (with broadcasting of `rhs`).
    public static func *= (lhs: inout Tensor, rhs: Tensor) {
        lhs.formBroadcasting(rhs, *)
    }

    /// Multiplies every element by a scalar in place.
    public static func *= (lhs: inout Tensor, rhs: Float) {
        lhs.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] *= rhs }
        }
    }

    /// Combines `other` into this tensor in place; `other` must broadcast to this tensor's shape.
    public mutating func formBroadcasting(_ other: Tensor, _ operation: (Float, Float) -> Float) {
        precondition(
            shape == other.shape || Tensor.isBroadcastable(other.shape, to: shape),
            "Shape \(other.shape) cannot be broadcast to \(shape)")
        let period = Swift.max(other.count, 1)
        other.withUnsafeBufferPointer { little in
            withUnsafeMutableBufferPointer { big in
                var base = 0
                while base < big.count {
                    for offset in 0..<period { big[base + offset] = operation(big[base + offset], little[offset]) }
                    base += period
                }
            }
        }
    }

    /// Adds `scale * other` to this tensor in place (the BLAS `axpy`); shapes must be equal.
    public mutating func addProduct(_ other: Tensor, scaledBy scale: Float) {
        precondition(shape == other.shape, "Shapes \(shape) and \(other.shape) differ")
        other.withUnsafeBufferPointer { source in
            withUnsafeMutableBufferPointer { target in
                for index in 0..<target.count { target[index] += scale * source[index] }
            }
        }
    }

    /// Sets every element to `value`, keeping the shape and reusing the storage.
    public mutating func fill(with value: Float) {
        withUnsafeMutableBufferPointer { buffer in
            buffer.update(repeating: value)
        }
    }
}
