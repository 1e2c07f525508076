import Tensors

/// Max pooling over square windows of NCHW input (PyTorch's `MaxPool2d`; no padding). The
/// gradient goes to the first maximum of each window.
public final class MaxPool2D: Layer {
    /// The window's height and width.
    public let kernelSize: Int
    /// The step between windows.
    public let stride: Int

    /// The first unusable argument the layer was created with (a kernel or stride below 1), or
    /// nil; the layer's `outputShape(forInputShape:)` throws it, so training, evaluation and
    /// prediction refuse the layer with an error naming it instead of trapping.
    public let argumentProblem: ArgumentError?

    /// Creates the layer; the stride defaults to the kernel size. An unusable argument does not
    /// trap: see `argumentProblem`.
    public init(kernelSize: Int, stride: Int? = nil) {
        var arguments = LayerArguments(call: "MaxPool2D(kernelSize:stride:)")
        arguments.positive(kernelSize, "kernelSize")
        if let stride { arguments.positive(stride, "stride") }
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        argumentProblem = arguments.problem
    }

    /// The maximum of each window.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let geometry = PoolGeometry(input, kernel: kernelSize, stride: stride, name: "MaxPool2D")
        var winners = [Int32](repeating: 0, count: geometry.outputCount)
        let output = Tensor(
            shape: geometry.outputShape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    winners.withUnsafeMutableBufferPointer { w in
                        let shared = UncheckedSendable((x.baseAddress!, out.baseAddress!, w.baseAddress!))
                        geometry.forEachPlane { plane in
                            let (x, out, w) = shared.value
                            let source = x + plane * geometry.inputPlane
                            let target = plane * geometry.outputPlane
                            if geometry.kernel == 2 && geometry.stride == 2 {
                                MaxPool2D.pairwise(
                                    source, width: geometry.width, outputHeight: geometry.outputHeight,
                                    outputWidth: geometry.outputWidth, into: out + target, winners: w + target)
                                return
                            }
                            for oy in 0..<geometry.outputHeight {
                                for ox in 0..<geometry.outputWidth {
                                    var best = -Float.infinity
                                    var winner = (oy * geometry.stride) * geometry.width + ox * geometry.stride
                                    for ky in 0..<geometry.kernel {
                                        let row = (oy * geometry.stride + ky) * geometry.width + ox * geometry.stride
                                        for kx in 0..<geometry.kernel where source[row + kx] > best || source[row + kx].isNaN {
                                            best = source[row + kx]
                                            winner = row + kx
                                            if best.isNaN { break }
                                        }
                                    }
                                    out[target + oy * geometry.outputWidth + ox] = best
                                    w[target + oy * geometry.outputWidth + ox] = Int32(winner)
                                }
                            }
                        }
                    }
                }
            })
        return (
            output,
            { gradient in
                Tensor(
                    shape: input.shape,
                    unsafeUninitialized: { dx in
                        gradient.withUnsafeBufferPointer { dy in
                            winners.withUnsafeBufferPointer { w in
                                let shared = UncheckedSendable((dx.baseAddress!, dy.baseAddress!, w.baseAddress!))
                                geometry.forEachPlane { plane in
                                    let (dx, dy, w) = shared.value
                                    let target = dx + plane * geometry.inputPlane
                                    if geometry.kernel == 2 && geometry.stride == 2 {
                                        MaxPool2D.pairwiseGradient(
                                            dy + plane * geometry.outputPlane, winners: w + plane * geometry.outputPlane,
                                            height: geometry.height, width: geometry.width, into: target)
                                        return
                                    }
                                    target.update(repeating: 0, count: geometry.inputPlane)
                                    for index in 0..<geometry.outputPlane {
                                        let at = plane * geometry.outputPlane + index
                                        target[Int(w[at])] += dy[at]
                                    }
                                }
                            }
                        }
                    })
            }
        )
    }
}

/// Average pooling over square windows of NCHW input (PyTorch's `AvgPool2d`; no padding).
public final class AvgPool2D: Layer {
    /// The window's height and width.
    public let kernelSize: Int
    /// The step between windows.
    public let stride: Int

    /// The first unusable argument the layer was created with (a kernel or stride below 1), or
    /// nil; the layer's `outputShape(forInputShape:)` throws it, so training, evaluation and
    /// prediction refuse the layer with an error naming it instead of trapping.
    public let argumentProblem: ArgumentError?

    /// Creates the layer; the stride defaults to the kernel size. An unusable argument does not
    /// trap: see `argumentProblem`.
    public init(kernelSize: Int, stride: Int? = nil) {
        var arguments = LayerArguments(call: "AvgPool2D(kernelSize:stride:)")
        arguments.positive(kernelSize, "kernelSize")
        if let stride { arguments.positive(stride, "stride") }
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        argumentProblem = arguments.problem
    }

    /// The mean of each window.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let geometry = PoolGeometry(input, kernel: kernelSize, stride: stride, name: "AvgPool2D")
        let scale = 1 / Float(kernelSize * kernelSize)
        let output = Tensor(
            shape: geometry.outputShape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    for plane in 0..<geometry.planes {
                        let source = x.baseAddress! + plane * geometry.inputPlane
                        for oy in 0..<geometry.outputHeight {
                            for ox in 0..<geometry.outputWidth {
                                var total: Float = 0
                                for ky in 0..<kernelSize {
                                    let row = (oy * stride + ky) * geometry.width + ox * stride
                                    for kx in 0..<kernelSize { total += source[row + kx] }
                                }
                                out[plane * geometry.outputPlane + oy * geometry.outputWidth + ox] = total * scale
                            }
                        }
                    }
                }
            })
        return (
            output,
            { [kernelSize, stride] gradient in
                Tensor(
                    shape: input.shape,
                    unsafeUninitialized: { dx in
                        dx.update(repeating: 0)
                        gradient.withUnsafeBufferPointer { dy in
                            for plane in 0..<geometry.planes {
                                let target = dx.baseAddress! + plane * geometry.inputPlane
                                for oy in 0..<geometry.outputHeight {
                                    for ox in 0..<geometry.outputWidth {
                                        let share = dy[plane * geometry.outputPlane + oy * geometry.outputWidth + ox] * scale
                                        for ky in 0..<kernelSize {
                                            let row = (oy * stride + ky) * geometry.width + ox * stride
                                            for kx in 0..<kernelSize { target[row + kx] += share }
                                        }
                                    }
                                }
                            }
                        }
                    })
            }
        )
    }
}

/// The mean over each channel's whole plane: `[N, C, H, W]` to `[N, C]`.
public final class GlobalAvgPool: Layer {
    /// Creates the layer.
    public init() {}

    /// Averages every plane.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        precondition(input.rank == 4, "GlobalAvgPool expects [batch, channels, height, width], got \(input.shape)")
        let (n, c, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        let output = input.reshaped(to: [n * c, plane]).mean(alongAxis: 1).reshaped(to: [n, c])
        return (
            output,
            { gradient in
                Tensor(
                    shape: input.shape,
                    unsafeUninitialized: { dx in
                        gradient.withUnsafeBufferPointer { dy in
                            let scale = 1 / Float(plane)
                            for index in 0..<(n * c) { (dx.baseAddress! + index * plane).update(repeating: dy[index] * scale, count: plane) }
                        }
                    })
            }
        )
    }
}

/// The window arithmetic of a pooling layer over one batch.
struct PoolGeometry: Sendable {
    let planes: Int, height: Int, width: Int, kernel: Int, stride: Int
    let outputHeight: Int, outputWidth: Int
    let outputShape: [Int]

    init(_ input: Tensor, kernel: Int, stride: Int, name: String) {
        // Programmer errors, as with `Tensor`'s operations: training, evaluation and prediction
        // check the layer's arguments and input (`outputShape(forInputShape:)`) first and throw.
        precondition(kernel > 0 && stride > 0, "\(name): kernel \(kernel) and stride \(stride) must be positive (see argumentProblem)")
        precondition(input.rank == 4, "\(name) expects [batch, channels, height, width], got \(input.shape)")
        planes = input.shape[0] * input.shape[1]
        height = input.shape[2]
        width = input.shape[3]
        self.kernel = kernel
        self.stride = stride
        outputHeight = (height - kernel) / stride + 1
        outputWidth = (width - kernel) / stride + 1
        precondition(height >= kernel && width >= kernel, "\(name): input \(input.shape) is smaller than the \(kernel)x\(kernel) window")
        outputShape = [input.shape[0], input.shape[1], outputHeight, outputWidth]
    }

    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }
    var outputCount: Int { planes * outputPlane }

    /// Runs `body(plane)` for every plane, in parallel chunks.
    func forEachPlane(_ body: @Sendable (Int) -> Void) {
        let chunk = 64
        let chunks = (planes + chunk - 1) / chunk
        let planes = self.planes
        BatchChunks.run(chunks: chunks) { _, index in
            for plane in (index * chunk)..<min(planes, (index + 1) * chunk) { body(plane) }
        }
    }
}
