import DataPipeline
import Foundation
import Tensors
import TestSupport
import XCTest

/// The augmentations' random draws: in range, spread as their distributions say (1000 draws each,
/// bounds at about 4 standard deviations) and torchvision's fallbacks.
final class AugmentationDrawTests: XCTestCase {
    /// Boxes lie in the image; `w = round(sqrt(A r))`, `h = round(sqrt(A / r))` bound the drawn
    /// area `A` and ratio `r`: `(w - 0.5)(h - 0.5) <= A <= (w + 0.5)(h + 0.5)`, likewise the ratio.
    func testResizedCropBoxesStayInTheirAreaAndRatioRanges() {
        let crop = SampleTransform.ResizedCrop()
        var generator = RandomGenerator(seed: 11, stream: [1])
        let (height, width) = (48, 64)
        for _ in 0..<1000 {
            let box = crop.box(height: height, width: width, generator: &generator)
            XCTAssertTrue(box.top >= 0 && box.left >= 0 && box.height > 0 && box.width > 0, "\(box)")
            XCTAssertTrue(box.top + box.height <= height && box.left + box.width <= width, "\(box)")
            let (w, h) = (Double(box.width), Double(box.height))
            let area = Double(height * width)
            XCTAssertLessThanOrEqual((w - 0.5) * (h - 0.5), 1.0 * area + 1e-9, "\(box)")
            XCTAssertGreaterThanOrEqual((w + 0.5) * (h + 0.5), 0.08 * area - 1e-9, "\(box)")
            XCTAssertLessThanOrEqual((w - 0.5) / (h + 0.5), 4.0 / 3.0 + 1e-9, "\(box)")
            XCTAssertGreaterThanOrEqual((w + 0.5) / (h - 0.5), 0.75 - 1e-9, "\(box)")
        }
    }

    /// Where no try is refused (scale [0.1, 0.5] of 200x200), the area fraction is uniform (mean
    /// 0.3, deviation 0.115), the log ratio uniform about 0 (deviation 0.166) and the position
    /// uniform over the free room (mean 0.5 of it, deviation 0.29): 1000 draws' means within
    /// 4 standard errors.
    func testResizedCropDrawsAreSpreadAsTorchvisionsDistributions() {
        let crop = SampleTransform.ResizedCrop(scale: 0.1...0.5)
        var generator = RandomGenerator(seed: 12, stream: [2])
        var (areas, logRatios, tops, lefts) = ([Double](), [Double](), [Double](), [Double]())
        for _ in 0..<1000 {
            let box = crop.box(height: 200, width: 200, generator: &generator)
            areas.append(Double(box.width * box.height) / 40_000)
            logRatios.append(log(Double(box.width) / Double(box.height)))
            tops.append(Double(box.top) / Double(200 - box.height))
            lefts.append(Double(box.left) / Double(200 - box.width))
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        XCTAssertEqual(mean(areas), 0.3, accuracy: 4 * 0.115 / 1000.0.squareRoot() + 0.002)
        XCTAssertEqual(mean(logRatios), 0, accuracy: 4 * 0.166 / 1000.0.squareRoot())
        XCTAssertEqual(mean(tops), 0.5, accuracy: 4 * 0.29 / 1000.0.squareRoot())
        XCTAssertEqual(mean(lefts), 0.5, accuracy: 4 * 0.29 / 1000.0.squareRoot())
        XCTAssertGreaterThan(areas.min() ?? 1, 0.09)
        XCTAssertLessThan(areas.max() ?? 0, 0.51)
    }

    /// When all ten tries are refused: the central region with the image's ratio clamped.
    func testResizedCropFallsBackToTheClampedCentralRegion() {
        var generator = RandomGenerator(seed: 13, stream: [3])
        // A ratio of 3 to 4 of 90% or more of a 10x10 image never fits: 10 wide, round(10 / 3) high.
        let wide = SampleTransform.ResizedCrop(scale: 0.9...1, ratio: 3...4)
        XCTAssertEqual(wide.box(height: 10, width: 10, generator: &generator), .init(top: 3, left: 0, height: 3, width: 10))
        let tall = SampleTransform.ResizedCrop(scale: 0.9...1, ratio: 0.2...0.3)
        XCTAssertEqual(tall.box(height: 10, width: 10, generator: &generator), .init(top: 0, left: 3, height: 10, width: 3))
        // More than the whole area with the image's own ratio allowed: the whole image.
        let whole = SampleTransform.ResizedCrop(scale: 1.5...2, ratio: 0.9...1.3)
        XCTAssertEqual(whole.box(height: 10, width: 12, generator: &generator), .init(top: 0, left: 0, height: 10, width: 12))
    }

    /// Factors uniform in [max(0, 1 - v), 1 + v]; every one of the six orders drawn about equally.
    func testColorJitterDrawsFactorsInRangeAndEveryOrder() {
        let jitter = SampleTransform.ColorJitter(brightness: 0.4, contrast: 1.5, saturation: 0.2)
        var generator = RandomGenerator(seed: 14, stream: [4])
        var orders: [[SampleTransform.ColorJitter.Adjustment]: Int] = [:]
        var factors: [SampleTransform.ColorJitter.Adjustment: [Float]] = [:]
        for _ in 0..<1200 {
            let drawn = jitter.draw(generator: &generator)
            XCTAssertEqual(drawn.count, 3)
            orders[drawn.map(\.adjustment), default: 0] += 1
            for (adjustment, factor) in drawn { factors[adjustment, default: []].append(factor) }
        }
        XCTAssertEqual(orders.count, 6)
        // 200 expected each, deviation about 13.
        for (order, count) in orders { XCTAssertTrue((148...252).contains(count), "\(order): \(count)") }
        let ranges: [(SampleTransform.ColorJitter.Adjustment, ClosedRange<Float>)] = [
            (.brightness, 0.6...1.4), (.contrast, 0...2.5), (.saturation, 0.8...1.2),
        ]
        for (adjustment, range) in ranges {
            let values = factors[adjustment] ?? []
            XCTAssertEqual(values.count, 1200)
            XCTAssertTrue(values.allSatisfy { range.contains($0) }, "\(adjustment)")
            let mean = values.reduce(0, +) / Float(values.count)
            let deviation = (range.upperBound - range.lowerBound) / 12.0.squareRoot().float
            XCTAssertEqual(mean, (range.lowerBound + range.upperBound) / 2, accuracy: 4 * deviation / 1200.0.squareRoot().float)
        }
        // A strength of 0 leaves its adjustment out.
        var other = RandomGenerator(seed: 14, stream: [5])
        XCTAssertEqual(SampleTransform.ColorJitter(saturation: 0.3).draw(generator: &other).map(\.adjustment), [.saturation])
    }

    /// Angles uniform in [-d, d].
    func testRotationAnglesAreUniformWithinTheLimit() {
        let rotation = SampleTransform.Rotation(degrees: 15)
        var generator = RandomGenerator(seed: 15, stream: [6])
        let angles = (0..<1000).map { _ in rotation.angle(generator: &generator) }
        XCTAssertTrue(angles.allSatisfy { (-15...15).contains($0) })
        XCTAssertLessThan(angles.min() ?? 0, -14)
        XCTAssertGreaterThan(angles.max() ?? 0, 14)
        // Deviation 30 / sqrt(12) = 8.66.
        XCTAssertEqual(angles.reduce(0, +) / 1000, 0, accuracy: 4 * 8.66 / 1000.0.squareRoot().float)
    }
}

extension Double {
    fileprivate var float: Float { Float(self) }
}
