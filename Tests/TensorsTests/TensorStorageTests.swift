import XCTest

@testable import Tensors

/// The element memory: cache-line alignment, the page stagger of large blocks, copy-on-write.
final class TensorStorageTests: XCTestCase {
    private func address(_ tensor: Tensor) -> Int {
        tensor.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
    }

    func testEveryTensorStartsOnACacheLine() {
        for count in [0, 1, 3, 15, 17, 1000, 8191, 8192, 8193, 200_704] {
            let tensors = (0..<5).map { Tensor(shape: [count], repeating: Float($0)) }
            for (index, tensor) in tensors.enumerated() {
                XCTAssertEqual(address(tensor) % 64, 0, "count \(count)")
                XCTAssertEqual(tensor.count, count)
                XCTAssertTrue(tensor.scalars.allSatisfy { $0 == Float(index) }, "count \(count)")
            }
        }
        XCTAssertEqual(address(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])) % 64, 0)
        XCTAssertEqual(address(Tensor([1, 2, 3]).map { $0 + 1 }) % 64, 0)
    }

    func testLargeTensorsOfOneSizeStartAtDifferentPageOffsets() {
        // A weight, its gradient and its momentum: the same size, allocated one after another.
        let size = 784 * 256
        let tensors = (0..<3).map { _ in Tensor.zeros([size]) }
        let offsets = tensors.map { address($0) % 4096 }
        XCTAssertEqual(Set(offsets).count, 3, "page offsets \(offsets)")
        for (a, b) in zip(offsets, offsets.dropFirst()) {
            // Consecutive large blocks are 25 cache lines (1600 bytes) apart within the page, 50
            // or 75 if another thread allocated one or two in between: at least 512 bytes either
            // way round the page, beyond the reach of 4K aliasing. (Plain malloc puts blocks of
            // this size 16 or 48 bytes apart.)
            let distance = (b - a + 4096) % 4096
            XCTAssertGreaterThanOrEqual(min(distance, 4096 - distance), 512, "page offsets \(offsets)")
        }
    }

    func testWritesCopyOnlySharedStorage() {
        var a = Tensor(shape: [4], scalars: [1, 2, 3, 4])
        let before = address(a)
        a[flat: 0] = 10
        XCTAssertEqual(address(a), before, "a uniquely held tensor is written in place")
        let b = a
        a[flat: 1] = 20
        XCTAssertNotEqual(address(a), address(b))
        XCTAssertEqual(a.scalars, [10, 20, 3, 4])
        XCTAssertEqual(b.scalars, [10, 2, 3, 4])
        var c = b
        c.withUnsafeMutableBufferPointer { $0[3] = 40 }
        XCTAssertEqual(b.scalars, [10, 2, 3, 4])
        XCTAssertEqual(c.scalars, [10, 2, 3, 40])
        var d = c
        d.fill(with: 7)
        XCTAssertEqual(c.scalars, [10, 2, 3, 40])
        XCTAssertEqual(d.scalars, [7, 7, 7, 7])
    }

    func testEqualityAndHashFollowFloatEquality() {
        XCTAssertEqual(Tensor([0, 1]), Tensor([-0.0, 1]))
        XCTAssertEqual(Tensor([0, 1]).hashValue, Tensor([-0.0, 1]).hashValue)
        XCTAssertNotEqual(Tensor([1, 2, 3, 4]), Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        XCTAssertNotEqual(Tensor([1, 2]), Tensor([1, 3]))
        let withNaN = Tensor([.nan])
        XCTAssertNotEqual(withNaN, Tensor([.nan]))
        XCTAssertEqual(Set([Tensor([1, 2]), Tensor([1, 2]), Tensor([2, 1])]).count, 2)
        XCTAssertEqual(Tensor.zeros([0]), Tensor(shape: [0], scalars: []))
    }
}
