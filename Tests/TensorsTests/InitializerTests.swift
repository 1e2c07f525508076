import XCTest

@testable import Tensors

final class InitializerTests: XCTestCase {
    func testFansFollowPyTorch() {
        XCTAssertEqual(Initializer.fans(of: [10, 20]).fanIn, 20)
        XCTAssertEqual(Initializer.fans(of: [10, 20]).fanOut, 10)
        XCTAssertEqual(Initializer.fans(of: [32, 3, 3, 3]).fanIn, 27)
        XCTAssertEqual(Initializer.fans(of: [32, 3, 3, 3]).fanOut, 288)
    }

    private func standardDeviation(_ t: Tensor) -> Double {
        let mean = Double(t.mean())
        return (t.scalars.reduce(0.0) { $0 + pow(Double($1) - mean, 2) } / Double(t.count)).squareRoot()
    }

    func testBoundsAndDeviations() {
        var g = RandomGenerator(seed: 1)
        let shape = [300, 200]  // fanIn 200, fanOut 300
        let xavier = Initializer.xavierUniform.makeTensor(shape: shape, generator: &g)
        let bound = (6.0 / 500).squareRoot()  // 0.1095
        XCTAssertLessThanOrEqual(xavier.scalars.map { abs(Double($0)) }.max()!, bound)
        XCTAssertEqual(standardDeviation(xavier), bound / 3.0.squareRoot(), accuracy: 0.002)
        XCTAssertEqual(standardDeviation(Initializer.xavierNormal.makeTensor(shape: shape, generator: &g)), (2.0 / 500).squareRoot(), accuracy: 0.002)
        let he = Initializer.heUniform.makeTensor(shape: shape, generator: &g)
        XCTAssertLessThanOrEqual(he.scalars.map { abs(Double($0)) }.max()!, (6.0 / 200).squareRoot())
        XCTAssertEqual(standardDeviation(Initializer.heNormal.makeTensor(shape: shape, generator: &g)), (2.0 / 200).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(Initializer.zeros.makeTensor(shape: [3], generator: &g).scalars, [0, 0, 0])
        XCTAssertEqual(Initializer.values(Tensor([1, 2])).makeTensor(shape: [2], generator: &g).scalars, [1, 2])
    }

    func testSameSeedSameValues() {
        var a = RandomGenerator(seed: 3)
        var b = RandomGenerator(seed: 3)
        XCTAssertEqual(Initializer.heNormal.makeTensor(shape: [5, 5], generator: &a), Initializer.heNormal.makeTensor(shape: [5, 5], generator: &b))
    }
}
