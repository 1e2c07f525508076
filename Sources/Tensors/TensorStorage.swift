import Synchronization

/// The element memory of a `Tensor`: `count` floats, cache-line aligned.
///
/// Large blocks (32 KiB or more) are also staggered within the page: the n-th large block starts
/// at byte offset `(n * 25 % 64) * 64` of a 4 KiB page. Tensors of the same size allocated one
/// after another (a weight, its gradient, its momentum) would otherwise start a few bytes apart
/// modulo 4096, and a loop that stores into one while loading the others then stalls on false
/// store-to-load dependencies ("4K aliasing"; 10-15% of the MLP's step on Zen 5). Placement
/// changes speed only: no arithmetic depends on an address.
///
/// Immutable once shared: `Tensor` writes only into storage it references uniquely and copies it
/// otherwise (copy-on-write), which is what makes the unchecked `Sendable` sound.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    /// The first element.
    @usableFromInline let base: UnsafeMutablePointer<Float>
    /// The number of elements.
    @usableFromInline let count: Int
    /// The start of the allocation (`base` or up to a page before it).
    private let allocation: UnsafeMutableRawPointer

    private static let staggerThreshold = 32 * 1024
    private static let largeBlocks = Atomic<Int>(0)

    /// Allocates storage for `count` floats, uninitialised.
    @usableFromInline
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "Tensor storage needs a non-negative count, got \(count)")
        let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
        self.count = count
        // Aligned by hand within a malloc block (alignment 16): glibc's own aligned allocation
        // splits and frees the block's ends, several times slower for the step's many tensors.
        let large = bytes >= Self.staggerThreshold
        allocation = UnsafeMutableRawPointer.allocate(byteCount: bytes + (large ? 4096 : 48), alignment: 16)
        let address = Int(bitPattern: allocation)
        var wanted = 0
        if large {
            let block = Self.largeBlocks.wrappingAdd(1, ordering: .relaxed).oldValue
            wanted = (block & 63) &* 25 % 64 * 64
        }
        let page = large ? 4096 : 64
        let start = allocation + (wanted - address % page + page) % page
        base = start.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
    }

    /// Allocates storage holding a copy of `elements`.
    @usableFromInline
    convenience init(copying elements: UnsafeBufferPointer<Float>) {
        self.init(uninitializedCount: elements.count)
        if let source = elements.baseAddress { base.initialize(from: source, count: elements.count) }
    }

    deinit {
        allocation.deallocate()
    }

    /// The elements.
    @usableFromInline
    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// A new storage with the same elements.
    @usableFromInline
    func copy() -> TensorStorage {
        TensorStorage(copying: UnsafeBufferPointer(buffer))
    }
}
