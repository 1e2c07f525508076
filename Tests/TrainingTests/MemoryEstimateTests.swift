import Layers
import SystemIO
import Tensors
import Training
import XCTest

/// The estimate's parts against counts done by hand, the saturating arithmetic, and the reading
/// of the limit from cgroup and meminfo texts.
final class MemoryEstimateTests: XCTestCase {
    func testAnMLPsPartsAreTheHandCounts() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(
            Dense(inputSize: 4, outputSize: 3, generator: &generator), ReLU(), Dense(inputSize: 3, outputSize: 2, generator: &generator))
        let estimate = MemoryEstimate.training(model: model, sampleShape: [4], batchSize: 10, optimizerSlots: 2, prefetch: 4)
        // 23 parameters x (value, gradient, 2 slots, checkpoint copy of value and 2 slots) x 4 bytes.
        XCTAssertEqual(estimate.parameterBytes, 23 * 7 * 4)
        // Per sample: input 4 + outputs 3 + 3 + 2, plus twice the largest (4); 10 samples of 4 bytes.
        XCTAssertEqual(estimate.activationBytes, (4 + 3 + 3 + 2 + 2 * 4) * 10 * 4)
        // (prefetch 4 + 2 spare) batches of 10 samples of 4 floats.
        XCTAssertEqual(estimate.batchBytes, 6 * 10 * 4 * 4)
        XCTAssertEqual(estimate.totalBytes, MemoryEstimate.processBytes + 23 * 7 * 4 + 800 + 960)
    }

    func testAConvolutionCountsItsUnfoldedColumnsAndPoolingItsState() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: &generator), MaxPool2D(kernelSize: 2))
        let estimate = MemoryEstimate.training(model: model, sampleShape: [1, 4, 4], batchSize: 1, optimizerSlots: 0, prefetch: 1)
        // input 16; conv output 2x4x4 = 32 and columns 9 x 16 = 144; pool output 2x2x2 = 8 with
        // 8 of state; plus twice the largest (32).
        XCTAssertEqual(estimate.activationBytes, (16 + 32 + 144 + 8 + 8 + 64) * 4)
        XCTAssertEqual(estimate.parameterBytes, 20 * 3 * 4)
    }

    /// Residual blocks are opened: a block of one 3x3 convolution on a [1, 4, 4] sample keeps the
    /// input (16), the convolution's output (16) and unfolded columns (9 x 16 = 144) and the sum
    /// (16); a ReLU after the sum its output (16); the flatten and dense layer behind it 16 and 2;
    /// plus twice the largest tensor (16) for the gradients: (16 + 16 + 144 + 16 + 16 + 16 + 2 + 32)
    /// x 4 bytes.
    /// (Counted as one opaque layer, the block kept only its output: ResNet-20's estimate was 175
    /// MiB against a peak resident size of 1.4 GiB; now 1.25 GiB.)
    func testAResidualBlockCountsTheLayersInsideIt() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(
            Residual(
                body: Sequential(Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 3, padding: 1, generator: &generator)),
                activation: ReLU()),
            Flatten(), Dense(inputSize: 16, outputSize: 2, generator: &generator))
        let estimate = MemoryEstimate.training(model: model, sampleShape: [1, 4, 4], batchSize: 1, optimizerSlots: 0, prefetch: 0)
        XCTAssertEqual(estimate.activationBytes, (16 + 16 + 144 + 16 + 16 + 16 + 2 + 2 * 16) * 4)
    }

    /// A direct convolution (3x3, stride 1, padding 1, 16 or more wide) keeps only its input, no
    /// unfolded columns. On a [2, 2, 16] sample: the input (64), the direct convolution's output
    /// [3, 2, 16] (96), the strided one's output [1, 1, 8] (8) and its unfolded columns (3 x 9 x 8 =
    /// 216), plus twice the largest tensor (96).
    func testADirectConvolutionKeepsNoUnfoldedColumns() {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(
            Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator),
            Conv2D(inputChannels: 3, outputChannels: 1, kernelSize: 3, stride: 2, padding: 1, generator: &generator))
        let estimate = MemoryEstimate.training(model: model, sampleShape: [2, 2, 16], batchSize: 1, optimizerSlots: 0, prefetch: 0)
        XCTAssertEqual(estimate.activationBytes, (64 + 96 + 8 + 216 + 2 * 96) * 4)
    }

    func testSizesBeyond64BitsSaturateAndAreRefusedNamingBothFigures() {
        XCTAssertEqual(MemoryEstimate.multiply(Int.max / 2, 3), Int.max)
        XCTAssertEqual(MemoryEstimate.add(Int.max, 1), Int.max)
        XCTAssertEqual(MemoryEstimate.count([1 << 40, 1 << 40]), Int.max)
        var generator = RandomGenerator(seed: 1)
        let model = Sequential(Dense(inputSize: 2, outputSize: 2, generator: &generator))
        let estimate = MemoryEstimate.training(model: model, sampleShape: [2], batchSize: Int.max / 2, optimizerSlots: 0, prefetch: 4)
        XCTAssertEqual(estimate.totalBytes, Int.max)
        XCTAssertThrowsError(try estimate.check(limit: 1 << 30, source: "test")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("overflows 64 bits") && text.contains("1.0 GiB (1073741824 bytes) of test"), text)
        }
        let small = MemoryEstimate.training(model: model, sampleShape: [2], batchSize: 1, optimizerSlots: 0, prefetch: 1)
        XCTAssertNoThrow(try small.check(limit: small.totalBytes, source: "test"))
        XCTAssertThrowsError(try small.check(limit: small.totalBytes - 1, source: "test"))
    }

    func testTheLimitIsTheCgroupsUnlessItIsMaxThenMemAvailable() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2000 kB\n"
        XCTAssertEqual(MemoryAvailable.read(cgroupLimit: "1073741824\n", meminfo: meminfo)?.bytes, 1 << 30)
        XCTAssertEqual(MemoryAvailable.read(cgroupLimit: "max\n", meminfo: meminfo)?.bytes, 2000 * 1024)
        XCTAssertEqual(MemoryAvailable.read(cgroupLimit: nil, meminfo: meminfo)?.bytes, 2000 * 1024)
        XCTAssertNil(MemoryAvailable.read(cgroupLimit: nil, meminfo: "MemTotal: 5 kB\n"))
        XCTAssertNil(MemoryAvailable.read(cgroupLimit: "garbage", meminfo: nil))
        XCTAssertNotNil(MemoryAvailable.current(), "this machine has /proc/meminfo")
        XCTAssertEqual(MemoryAvailable.describe(1536 << 20), "1.5 GiB")
        XCTAssertEqual(MemoryAvailable.describe(1000), "1000 bytes")
    }
}
