/// A dense tensor of `Float` values stored contiguously in row-major order.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated (copy-on-write),
/// so it is cheap to pass around and safe to send across queues. The elements are cache-line
/// aligned (`TensorStorage`).
public struct Tensor: Sendable, Equatable, Hashable {
    /// The size of each dimension, outermost first. A scalar has the empty shape.
    public internal(set) var shape: [Int]
    /// The elements' memory, shared by copies until one of them writes.
    @usableFromInline var storage: TensorStorage

    /// The elements in row-major order, as a new array; `scalars.count == shape.reduce(1, *)`.
    /// Reads that should not copy use `withUnsafeBufferPointer` or `subscript(flat:)`.
    public var scalars: [Float] { Array(UnsafeBufferPointer(storage.buffer)) }

    /// Creates a tensor of the given shape from its row-major elements.
    /// - Precondition: `scalars.count` equals the product of `shape`, and no dimension is negative.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        precondition(
            Tensor.elementCount(of: shape) == scalars.count,
            "Tensor shape \(shape) needs \(Tensor.elementCount(of: shape)) elements, got \(scalars.count)")
        self.shape = shape
        self.storage = scalars.withUnsafeBufferPointer { TensorStorage(copying: $0) }
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dimension")
        self.init(shape: shape, unsafeUninitialized: { $0.initialize(repeating: value) })
    }

    /// Creates a zero-filled tensor of the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// Creates a scalar (rank-0) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// Creates a rank-1 tensor from its elements.
    public init(_ vector: [Float]) {
        self.init(shape: [vector.count], scalars: vector)
    }

    /// Creates a rank-2 tensor from its rows, which must all have the same length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "Tensor rows must all have \(columns) columns")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// Creates a tensor of the given shape whose elements are `body(flatIndex)`.
    public init(shape: [Int], generating body: (Int) -> Float) {
        let count = Tensor.elementCount(of: shape)
        self.init(shape: shape, scalars: (0..<count).map(body))
    }

    /// Creates a tensor of the given shape by letting `body` fill its uninitialised storage.
    /// `body` must write every one of the `shape.reduce(1, *)` elements.
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Tensor.elementCount(of: shape))
        body(storage.buffer)
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The single element of a tensor that has exactly one.
    public var scalar: Float {
        precondition(count == 1, "Tensor of shape \(shape) is not a single value")
        return storage.base[0]
    }

    /// The product of a shape's dimensions: the number of elements a tensor of that shape holds.
    public static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// The element at the given multi-dimensional index.
    public subscript(indices: Int...) -> Float {
        get { self[flat: flatIndex(indices)] }
        set { self[flat: flatIndex(indices)] = newValue }
    }

    /// The element at a row-major (flat) position.
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "Index \(index) out of range for \(count) elements")
            return storage.base[index]
        }
        set {
            precondition(index >= 0 && index < count, "Index \(index) out of range for \(count) elements")
            makeStorageUnique()
            storage.base[index] = newValue
        }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Index \(indices) does not match shape \(shape)")
        var flat = 0
        for (index, dimension) in zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "Index \(indices) out of range for shape \(shape)")
            flat = flat * dimension + index
        }
        return flat
    }

    /// Calls `body` with a pointer to the elements, in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer($0.buffer)) }
    }

    /// Calls `body` with a mutable pointer to the elements (copying them first if shared).
    /// `body` must not replace the pointer.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        makeStorageUnique()
        let storage = self.storage
        var buffer = storage.buffer
        defer { precondition(buffer.baseAddress == storage.base && buffer.count == storage.count, "The buffer was replaced") }
        return try withExtendedLifetime(storage) { _ in try body(&buffer) }
    }

    /// Copies the elements into storage of this tensor's own if another tensor shares them.
    @inlinable
    mutating func makeStorageUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }
}

extension Tensor: CustomStringConvertible {
    /// A short description: the shape and up to the first eight elements.
    public var description: String {
        let shown = withUnsafeBufferPointer { $0.prefix(8).map { "\($0)" }.joined(separator: ", ") }
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}

extension Tensor {
    /// Whether two tensors have the same shape and equal elements (`==` of `Float`: NaN is
    /// unequal to itself, `-0 == 0`).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        return lhs.withUnsafeBufferPointer { left in
            rhs.withUnsafeBufferPointer { right in left.elementsEqual(right) }
        }
    }

    /// Hashes the shape and the elements.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(shape)
        withUnsafeBufferPointer { buffer in
            for value in buffer { hasher.combine(value) }
        }
    }
}
