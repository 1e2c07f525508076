import Layers
import Tensors
import TestSupport
import XCTest

final class ConvolutionTests: XCTestCase {
    private func assertGradients(_ layer: some Layer, input: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        let mismatches = GradientChecker.check(layer, input: input)
        XCTAssertTrue(mismatches.isEmpty, "\(type(of: layer)) \(input.shape): \(mismatches.prefix(4))", file: file, line: line)
    }

    /// The convolution as its definition, in double precision: the independent reference.
    private func naiveConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> [Double] {
        let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, k) = (w.shape[0], w.shape[2])
        let oh = (h + 2 * padding - k) / stride + 1
        let ow = (width + 2 * padding - k) / stride + 1
        var out = [Double](repeating: 0, count: n * o * oh * ow)
        for i in 0..<n {
            for f in 0..<o {
                for y in 0..<oh {
                    for xx in 0..<ow {
                        var total = Double(b?[f] ?? 0)
                        for ch in 0..<c {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = y * stride - padding + ky
                                    let ix = xx * stride - padding + kx
                                    if iy >= 0 && iy < h && ix >= 0 && ix < width { total += Double(x[i, ch, iy, ix]) * Double(w[f, ch, ky, kx]) }
                                }
                            }
                        }
                        out[((i * o + f) * oh + y) * ow + xx] = total
                    }
                }
            }
        }
        return out
    }

    func testConvolutionForwardMatchesFloat64Reference() {
        var generator = RandomGenerator(seed: 1)
        for (batch, channels, size, outputs, kernel, stride, padding) in [
            (1, 1, 5, 1, 3, 1, 0), (2, 3, 7, 4, 3, 2, 1), (3, 2, 8, 5, 2, 2, 0), (1, 4, 9, 3, 5, 1, 2), (2, 3, 6, 2, 1, 1, 0), (2, 3, 8, 4, 3, 1, 1),
            (1, 2, 2, 2, 5, 1, 2),
            // 3x3 "same" over planes 16 or more wide: the direct convolution (DirectConvolution).
            (2, 3, 16, 5, 3, 1, 1), (1, 17, 20, 9, 3, 1, 1),
        ] {
            let layer = Conv2D(
                inputChannels: channels, outputChannels: outputs, kernelSize: kernel, stride: stride, padding: padding, generator: &generator)
            let input = Tensor.random([batch, channels, size, size + 1], seed: UInt64(size))
            let output = layer(input)
            let expected = naiveConvolution(input, layer.weight.value, layer.bias?.value, stride: stride, padding: padding)
            XCTAssertEqual(output.count, expected.count)
            for (a, e) in zip(output.scalars, expected) {
                XCTAssertLessThanOrEqual(abs(Double(a) - e), 1e-4 * max(1, abs(e)), "\(input.shape) k\(kernel) s\(stride) p\(padding)")
            }
        }
    }

    func testConvolutionGradients() {
        var generator = RandomGenerator(seed: 2)
        for (batch, channels, size, outputs, kernel, stride, padding, useBias) in [
            (1, 1, 4, 1, 3, 1, 0, true), (2, 2, 5, 3, 3, 2, 1, true), (1, 3, 5, 2, 2, 1, 1, false), (3, 1, 7, 2, 3, 2, 0, true),
            (2, 2, 3, 2, 1, 1, 0, true),
            (2, 2, 6, 3, 3, 1, 1, true), (1, 2, 5, 2, 5, 1, 2, false), (1, 1, 2, 2, 5, 1, 2, true),
            (2, 2, 16, 3, 3, 1, 1, true), (1, 3, 17, 2, 3, 1, 1, false),
        ] {
            let layer = Conv2D(
                inputChannels: channels, outputChannels: outputs, kernelSize: kernel, stride: stride, padding: padding,
                useBias: useBias, generator: &generator)
            assertGradients(layer, input: .random([batch, channels, size, size], seed: UInt64(batch * 10 + size)))
        }
    }

    func testPoolingForwardByHandAndGradients() {
        let input = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map { Float([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3][$0]) })
        XCTAssertEqual(MaxPool2D(kernelSize: 2)(input).scalars, [9, 6, 9, 9])
        XCTAssertEqual(AvgPool2D(kernelSize: 2)(input).scalars, [4.5, 3.25, 6, 6.25])
        XCTAssertEqual(MaxPool2D(kernelSize: 3, stride: 1)(input).scalars, [9, 9, 9, 9])
        XCTAssertEqual(GlobalAvgPool()(input).scalars, [80 / 16])
        for (batch, size) in [(1, 4), (2, 5), (3, 6)] {
            // Distinct values keep max pooling away from ties, where the difference quotient is not the derivative.
            let distinct = Tensor(shape: [batch, 2, size, size], generating: { Float(($0 * 7919) % 997) / 100 })
            assertGradients(MaxPool2D(kernelSize: 2), input: distinct)
            assertGradients(MaxPool2D(kernelSize: 3, stride: 2), input: distinct)
            assertGradients(AvgPool2D(kernelSize: 2), input: .random([batch, 2, size, size], seed: 3))
            assertGradients(GlobalAvgPool(), input: .random([batch, 3, size, size], seed: 4))
        }
    }

    func testMaxPoolRoutesTheGradientToTheFirstMaximum() {
        let input = Tensor(shape: [1, 1, 2, 2], scalars: [1, 7, 7, 0])
        let (output, pullback) = MaxPool2D(kernelSize: 2).forward(input, context: ForwardContext(isTraining: true))
        XCTAssertEqual(output.scalars, [7])
        XCTAssertEqual(pullback(Tensor(shape: [1, 1, 1, 1], scalars: [1])).scalars, [0, 1, 0, 0])
    }

    /// The 2x2 stride-2 path (eight windows at a time, then a scalar tail) against the rule
    /// written the other way round: the first NaN of a window if it has one, else the first
    /// element equal to the window's maximum. Ties, NaNs, infinities and widths that leave a
    /// tail or an unused last column.
    func testTwoByTwoMaxPoolMatchesTheFirstMaximumRule() {
        for (height, width) in [(2, 16), (4, 22), (6, 23), (3, 40), (2, 2)] {
            var generator = RandomGenerator(seed: UInt64(height * 100 + width))
            let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 1, 1]
            let values = (0..<(2 * 3 * height * width)).map { _ -> Float in
                let pick = Int(generator.next() % 10)
                return pick < specials.count ? specials[pick] : Float(Int(generator.next() % 5)) - 2
            }
            let input = Tensor(shape: [2, 3, height, width], scalars: values)
            let (output, pullback) = MaxPool2D(kernelSize: 2).forward(input, context: ForwardContext(isTraining: true))
            let (oh, ow) = (height / 2, width / 2)
            var expected = [Float]()
            var expectedGradient = [Float](repeating: 0, count: values.count)
            for plane in 0..<6 {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { plane * height * width + (2 * oy + $0.0) * width + 2 * ox + $0.1 }
                        let maximum = window.map { values[$0] }.filter { !$0.isNaN }.max() ?? .nan
                        let winner = window.first { values[$0].isNaN } ?? window.first { values[$0] == maximum }!
                        expected.append(values[winner])
                        expectedGradient[winner] = Float(expected.count)
                    }
                }
            }
            XCTAssertEqual(output.scalars.map(\.bitPattern), expected.map(\.bitPattern), "\(height)x\(width)")
            // Leave NaNs in freed memory of the input's size: a pullback that skips writing an
            // element (the pullback's tensor starts uninitialised) then most likely shows it.
            XCTAssertTrue(Tensor(shape: input.shape, repeating: .nan).scalars[0].isNaN)
            let routed = pullback(Tensor(shape: output.shape, scalars: (1...expected.count).map(Float.init)))
            XCTAssertEqual(routed.scalars, expectedGradient, "\(height)x\(width)")
        }
    }

    /// ReLU keeps NaN (as PyTorch does), zeroes -0, negatives and 0, and its pullback passes the
    /// gradient only where the input was > 0 or NaN; lengths that leave a tail after the
    /// eight-lane loop.
    func testReLUPropagatesNaNAndZeroesTheGradientAtAndBelowZero() {
        for count in [1, 7, 8, 13, 70_001] {
            let pattern: [Float] = [-1, 0, -0.0, 2, .nan, 0.5, -.infinity, .infinity, 3]
            let input = Tensor(shape: [count], scalars: (0..<count).map { pattern[$0 % pattern.count] })
            let (output, pullback) = ReLU().forward(input, context: ForwardContext(isTraining: true))
            let expected = input.scalars.map { $0.isNaN ? Float.nan : ($0 > 0 ? $0 : 0) }
            XCTAssertEqual(output.scalars.map(\.bitPattern), expected.map(\.bitPattern), "count \(count)")
            let gradient = pullback(Tensor(shape: [count], scalars: (0..<count).map { Float($0 + 1) }))
            XCTAssertEqual(gradient.scalars, input.scalars.enumerated().map { $0.element > 0 || $0.element.isNaN ? Float($0.offset + 1) : 0 })
        }
    }

    func testBatchNormStatisticsByHandAndGradients() {
        // Channel 0 holds 1, 3 (mean 2, biased variance 1); channel 1 holds 2, 2 (variance 0).
        let layer = BatchNorm(features: 2)
        let input = Tensor([[1, 2], [3, 2]])
        let output = layer.forward(input, context: ForwardContext(isTraining: true)).output
        XCTAssertEqual(output[0, 0], -1 / (1 + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(output[1, 0], 1 / (1 + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(output[0, 1], 0)
        // Running statistics: 0.9 · 0 + 0.1 · mean, and 0.9 · 1 + 0.1 · unbiased variance (2 and 0).
        XCTAssertEqual(layer.runningMean.value.scalars, [0.2, 0.2])
        XCTAssertEqual(layer.runningVariance.value.scalars, [1.1, 0.9])
        XCTAssertEqual(layer.namedBuffers.map(\.name), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(layer.batchesTracked.value, Tensor(1), "one training batch")
        // Inference uses the running statistics: (1 - 0.2) / sqrt(1.1 + 1e-5).
        XCTAssertEqual(layer(input)[0, 0], 0.8 / (1.1 + 1e-5).squareRoot(), accuracy: 1e-6)
        for shape in [[4, 3], [2, 3, 3, 3], [1, 2, 4, 4]] {
            let norm = BatchNorm(features: shape[1])
            norm.weight.value = Tensor.random([shape[1]], seed: 5, lower: 0.5, upper: 1.5)
            norm.bias.value = Tensor.random([shape[1]], seed: 6)
            assertGradients(norm, input: .random(shape, seed: UInt64(shape.count)))
        }
    }

    func testDropoutMasksScalesAndIsOffInInference() throws {
        let dropout = try Dropout(probability: 0.25)
        let input = Tensor(shape: [100, 100], repeating: 1)
        let context = ForwardContext(isTraining: true, generator: RandomGenerator(seed: 9))
        let output = dropout.forward(input, context: context).output
        let zeroed = output.scalars.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeroed) / 10_000, 0.25, accuracy: 0.02)
        XCTAssertTrue(output.scalars.allSatisfy { $0 == 0 || $0 == Float(1) / 0.75 })
        XCTAssertEqual(dropout(input), input)
        let again = dropout.forward(input, context: ForwardContext(isTraining: true, generator: RandomGenerator(seed: 9))).output
        XCTAssertEqual(again, output, "the same generator gives the same mask")
        assertGradients(try Dropout(probability: 0.5), input: .random([3, 4], seed: 1))
    }

    func testConvolutionBitsDoNotDependOnTheThreadCount() {
        // 10x10 runs as im2col and a product per image, 10x18 directly.
        for width in [10, 18] { assertThreadCountKeepsBits(width: width) }
    }

    private func assertThreadCountKeepsBits(width: Int) {
        var generator = RandomGenerator(seed: 8)
        let layer = Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, generator: &generator)
        let input = Tensor.random([9, 3, 10, width], seed: 2)
        let upstream = Tensor.random([9, 8, 10, width], seed: 3)
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.maximum = threads
            layer.zeroGradients()
            let (output, pullback) = layer.forward(input, context: ForwardContext(isTraining: true))
            let dx = pullback(upstream)
            results.append((output.scalars + dx.scalars + layer.weight.gradient.scalars + layer.bias!.gradient.scalars).map(\.bitPattern))
        }
        ComputeThreads.maximum = ComputeThreads.processorCount
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    /// A small CNN whose dense product (64x512 times 512x512, 34 MFLOP) is cut into eight blocks
    /// and whose convolution and pooling run in sixteen chunks: with 1, 2 and 3 threads every
    /// output, input gradient and parameter gradient must have the same bits.
    func testNetworkBitsDoNotDependOnTheThreadCount() {
        var generator = RandomGenerator(seed: 21)
        let model = Sequential(
            Conv2D(inputChannels: 3, outputChannels: 8, kernelSize: 3, padding: 1, generator: &generator), ReLU(), MaxPool2D(kernelSize: 2),
            Flatten(), Dense(inputSize: 512, outputSize: 512, generator: &generator), ReLU(),
            Dense(inputSize: 512, outputSize: 10, generator: &generator))
        let input = Tensor.random([64, 3, 16, 16], seed: 22)
        let upstream = Tensor.random([64, 10], seed: 23)
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.maximum = threads
            model.zeroGradients()
            let (output, pullback) = model.forward(input, context: ForwardContext(isTraining: true))
            let inputGradient = pullback(upstream)
            let gradients = model.namedParameters.flatMap { $0.parameter.gradient.scalars }
            results.append((output.scalars + inputGradient.scalars + gradients).map(\.bitPattern))
        }
        ComputeThreads.maximum = ComputeThreads.processorCount
        XCTAssertEqual(results[0].count, 64 * 10 + 64 * 3 * 16 * 16 + model.parameterCount)
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }
}

/// With `requiresInputGradient` off (as the training step sets it for the data), a model's first
/// layer skips its input gradient: the parameter gradients must be exactly those computed with it
/// on. This path once wrote into shared empty-array storage.
final class InputGradientFlagTests: XCTestCase {
    func testSkippingTheFirstInputGradientLeavesParameterGradientsUnchanged() {
        for firstIsConvolution in [true, false] {
            var generator = RandomGenerator(seed: 12)
            let model: Sequential =
                firstIsConvolution
                ? Sequential(
                    Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator), ReLU(), Flatten(),
                    Dense(inputSize: 3 * 5 * 5, outputSize: 4, generator: &generator))
                : Sequential(
                    Dense(inputSize: 50, outputSize: 6, generator: &generator), Tanh(), Dense(inputSize: 6, outputSize: 4, generator: &generator))
            let input = Tensor.random(firstIsConvolution ? [5, 2, 5, 5] : [5, 50], seed: 3)
            let upstream = Tensor.random([5, 4], seed: 4)
            var gradients: [[Float]] = []
            for required in [true, false] {
                model.zeroGradients()
                let context = ForwardContext(isTraining: true)
                context.requiresInputGradient = required
                let (_, pullback) = model.forward(input, context: context)
                let inputGradient = pullback(upstream)
                XCTAssertEqual(inputGradient.shape, required ? input.shape : [0])
                gradients.append(model.namedParameters.flatMap { $0.parameter.gradient.scalars })
                XCTAssertTrue(context.requiresInputGradient == required, "Sequential restores the flag")
            }
            XCTAssertEqual(gradients[0], gradients[1])
        }
    }
}
