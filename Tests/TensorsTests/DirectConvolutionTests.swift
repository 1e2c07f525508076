import Tensors
import TestSupport
import XCTest

/// The direct 3x3 convolution's contract: every output is one chain of fused multiply-adds from 0
/// over channels, kernel rows and kernel columns (padding zeros included), the same bits on the
/// AVX-512, AVX2 and scalar paths, and close to the convolution's definition in double precision.
final class DirectConvolutionTests: XCTestCase {
    struct Case {
        var channels: Int
        var height: Int
        var width: Int
        var outputs: Int
    }

    /// Widths around the 16- and 8-lane runs (tails, a single run, several per row) and output
    /// counts that are not multiples of the kernels' blocks.
    var cases: [Case] {
        [
            Case(channels: 1, height: 1, width: 1, outputs: 1), Case(channels: 3, height: 5, width: 7, outputs: 5),
            Case(channels: 2, height: 4, width: 16, outputs: 8), Case(channels: 4, height: 3, width: 17, outputs: 11),
            Case(channels: 16, height: 6, width: 32, outputs: 16), Case(channels: 5, height: 7, width: 33, outputs: 9),
            Case(channels: 2, height: 9, width: 9, outputs: 3),
        ]
    }

    func random(_ count: Int, seed: UInt64) -> [Float] {
        Tensor.random([count], seed: seed).scalars
    }

    /// The chain itself, written from the definition with `addingProduct` (one rounding each).
    private func fusedChain(_ input: [Float], _ weight: [Float], _ shape: Case) -> [Float] {
        let (c, h, w, o) = (shape.channels, shape.height, shape.width, shape.outputs)
        var output = [Float](repeating: 0, count: o * h * w)
        for f in 0..<o {
            for y in 0..<h {
                for x in 0..<w {
                    var acc: Float = 0
                    for ch in 0..<c {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let (iy, ix) = (y + ky - 1, x + kx - 1)
                                let value: Float = (0..<h).contains(iy) && (0..<w).contains(ix) ? input[(ch * h + iy) * w + ix] : 0
                                acc = acc.addingProduct(weight[((f * c + ch) * 3 + ky) * 3 + kx], value)
                            }
                        }
                    }
                    output[(f * h + y) * w + x] = acc
                }
            }
        }
        return output
    }

    private func convolve(_ input: [Float], _ weight: [Float], _ shape: Case, path: DirectConvolution.Path?) -> [Float] {
        let scratch = DirectConvolution.scratchCount(channels: shape.channels, height: shape.height, width: shape.width)
        var work = [Float](repeating: .nan, count: scratch)
        // Sentinels around the output catch writes outside it (the masked tails).
        let guardCount = 32
        var output = [Float](repeating: -7, count: shape.outputs * shape.height * shape.width + 2 * guardCount)
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    work.withUnsafeMutableBufferPointer { s in
                        DirectConvolution.convolve3x3OnCallingThread(
                            x.baseAddress!, channels: shape.channels, height: shape.height, width: shape.width, weight: w.baseAddress!,
                            outputs: shape.outputs, into: out.baseAddress! + guardCount, scratch: s.baseAddress!, path: path)
                    }
                }
            }
        }
        XCTAssertEqual(Array(output.prefix(guardCount)), [Float](repeating: -7, count: guardCount), "wrote before the output")
        XCTAssertEqual(Array(output.suffix(guardCount)), [Float](repeating: -7, count: guardCount), "wrote after the output")
        return Array(output.dropFirst(guardCount).dropLast(guardCount))
    }

    func testEveryPathGivesTheFusedChainsBits() {
        let paths = DirectConvolution.Path.allCases.filter { $0.rawValue <= DirectConvolution.bestPath.rawValue }
        for (index, shape) in cases.enumerated() {
            let input = random(shape.channels * shape.height * shape.width, seed: UInt64(2 * index + 1))
            let weight = random(shape.outputs * shape.channels * 9, seed: UInt64(2 * index + 2))
            let expected = fusedChain(input, weight, shape).map(\.bitPattern)
            for path in paths {
                XCTAssertEqual(convolve(input, weight, shape, path: path).map(\.bitPattern), expected, "\(shape) on \(path)")
            }
            XCTAssertEqual(convolve(input, weight, shape, path: nil).map(\.bitPattern), expected, "\(shape) on the best path")
        }
    }

    func testMatchesTheDefinitionInDoublePrecision() {
        let shape = Case(channels: 6, height: 5, width: 19, outputs: 4)
        let input = random(shape.channels * shape.height * shape.width, seed: 40)
        let weight = random(shape.outputs * shape.channels * 9, seed: 41)
        let output = convolve(input, weight, shape, path: nil)
        for f in 0..<shape.outputs {
            for y in 0..<shape.height {
                for x in 0..<shape.width {
                    var exact = 0.0
                    for c in 0..<shape.channels {
                        for ky in 0..<3 {
                            for kx in 0..<3 where (0..<shape.height).contains(y + ky - 1) && (0..<shape.width).contains(x + kx - 1) {
                                exact +=
                                    Double(weight[((f * shape.channels + c) * 3 + ky) * 3 + kx])
                                    * Double(input[(c * shape.height + y + ky - 1) * shape.width + x + kx - 1])
                            }
                        }
                    }
                    XCTAssertEqual(Double(output[(f * shape.height + y) * shape.width + x]), exact, accuracy: 1e-5 * max(1, abs(exact)))
                }
            }
        }
    }
}

extension DirectConvolutionTests {
    /// The weight gradient's chains from the definition: lane j sums the pixels x = 16r + j of every
    /// row with `addingProduct`, images then rows in order; the lanes are added as a vector
    /// register halves; the total is added to what the gradient held.
    private func laneChains(_ input: [Float], _ dy: [Float], _ shape: Case, images: Int, start: [Float]) -> [Float] {
        let (c, h, w, o) = (shape.channels, shape.height, shape.width, shape.outputs)
        var gradient = start
        for f in 0..<o {
            for ch in 0..<c {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        var lanes = [Float](repeating: 0, count: 16)
                        for i in 0..<images {
                            for y in 0..<h {
                                for x in 0..<w {
                                    let (iy, ix) = (y + ky - 1, x + kx - 1)
                                    let value: Float =
                                        (0..<h).contains(iy) && (0..<w).contains(ix) ? input[((i * c + ch) * h + iy) * w + ix] : 0
                                    lanes[x % 16] = lanes[x % 16].addingProduct(dy[((i * o + f) * h + y) * w + x], value)
                                }
                            }
                        }
                        // As a vector register halves: lanes k + 8, then k + 4, then (0 + 2) + (1 + 3).
                        let a = (0..<8).map { lanes[$0] + lanes[$0 + 8] }
                        let b = (0..<4).map { a[$0] + a[$0 + 4] }
                        gradient[((f * c + ch) * 3 + ky) * 3 + kx] += (b[0] + b[2]) + (b[1] + b[3])
                    }
                }
            }
        }
        return gradient
    }

    private func weightGradient(
        _ input: [Float], _ dy: [Float], _ shape: Case, images: Int = 1, start: [Float], path: DirectConvolution.Path?
    ) -> [Float] {
        let scratch = DirectConvolution.weightGradientScratchCount(images: images, channels: shape.channels, height: shape.height, width: shape.width)
        var work = [Float](repeating: .nan, count: scratch)
        var gradient = start
        input.withUnsafeBufferPointer { x in
            dy.withUnsafeBufferPointer { g in
                gradient.withUnsafeMutableBufferPointer { out in
                    work.withUnsafeMutableBufferPointer { s in
                        DirectConvolution.addWeightGradient3x3OnCallingThread(
                            input: x.baseAddress!, outputGradient: g.baseAddress!, images: images, channels: shape.channels, height: shape.height,
                            width: shape.width, outputs: shape.outputs, into: out.baseAddress!, scratch: s.baseAddress!, path: path)
                    }
                }
            }
        }
        return gradient
    }

    func testEveryPathGivesTheWeightGradientLaneChainsBits() {
        let paths = DirectConvolution.Path.allCases.filter { $0.rawValue <= DirectConvolution.bestPath.rawValue }
        for (index, shape) in cases.enumerated() {
            let images = index % 3 + 1
            let input = random(images * shape.channels * shape.height * shape.width, seed: UInt64(3 * index + 50))
            let dy = random(images * shape.outputs * shape.height * shape.width, seed: UInt64(3 * index + 51))
            let start = random(shape.outputs * shape.channels * 9, seed: UInt64(3 * index + 52))
            let expected = laneChains(input, dy, shape, images: images, start: start).map(\.bitPattern)
            for path in paths + [nil] {
                let gradient = weightGradient(input, dy, shape, images: images, start: start, path: path)
                XCTAssertEqual(gradient.map(\.bitPattern), expected, "\(shape), \(images) images, on \(path as Any)")
            }
        }
    }

    func testWeightGradientMatchesTheDefinitionInDoublePrecision() {
        let shape = Case(channels: 3, height: 6, width: 21, outputs: 5)
        let input = random(shape.channels * shape.height * shape.width, seed: 60)
        let dy = random(shape.outputs * shape.height * shape.width, seed: 61)
        let gradient = weightGradient(input, dy, shape, start: [Float](repeating: 0, count: shape.outputs * shape.channels * 9), path: nil)
        for f in 0..<shape.outputs {
            for c in 0..<shape.channels {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        var exact = 0.0
                        for y in 0..<shape.height {
                            for x in 0..<shape.width where (0..<shape.height).contains(y + ky - 1) && (0..<shape.width).contains(x + kx - 1) {
                                exact +=
                                    Double(dy[(f * shape.height + y) * shape.width + x])
                                    * Double(input[(c * shape.height + y + ky - 1) * shape.width + x + kx - 1])
                            }
                        }
                        XCTAssertEqual(Double(gradient[((f * shape.channels + c) * 3 + ky) * 3 + kx]), exact, accuracy: 1e-5 * max(1, abs(exact)))
                    }
                }
            }
        }
    }
}
