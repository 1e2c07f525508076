import Tensors
import TestSupport
import XCTest

/// The direct 3x3 convolution's contract: every output is one chain of fused multiply-adds from 0
/// over channels, kernel rows and kernel columns (padding zeros included), the same bits on the
/// AVX-512, AVX2 and scalar paths, and close to the convolution's definition in double precision.
final class DirectConvolutionTests: XCTestCase {
    private struct Case {
        var channels: Int
        var height: Int
        var width: Int
        var outputs: Int
    }

    /// Widths around the 16- and 8-lane runs (tails, a single run, several per row) and output
    /// counts that are not multiples of the kernels' blocks.
    private let cases = [
        Case(channels: 1, height: 1, width: 1, outputs: 1), Case(channels: 3, height: 5, width: 7, outputs: 5),
        Case(channels: 2, height: 4, width: 16, outputs: 8), Case(channels: 4, height: 3, width: 17, outputs: 11),
        Case(channels: 16, height: 6, width: 32, outputs: 16), Case(channels: 5, height: 7, width: 33, outputs: 9),
        Case(channels: 2, height: 9, width: 9, outputs: 3),
    ]

    private func random(_ count: Int, seed: UInt64) -> [Float] {
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
