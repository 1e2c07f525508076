import Tensors

/// A 2-D convolution over NCHW input: `output[n, o] = bias[o] + Σ_c weight[o, c] ⋆ input[n, c]`,
/// with square kernels, stride and zero padding (dilation 1), as PyTorch's `Conv2d`.
///
/// Two ways, per image, images in parallel (fixed chunks of four, so the bits do not depend on
/// the thread count). A 3x3 convolution with stride 1 and padding 1 over planes 16 or more wide
/// runs directly (`DirectConvolution`, a C kernel with the same bits on AVX-512, AVX2 and plain
/// C): forward, input gradient (the flipped, transposed kernels) and weight gradient read a padded
/// copy of the image, and only the input is kept for the pullback. Any other convolution unfolds
/// each image (im2col) into a buffer kept for the pullback and multiplies it with oneDNN's
/// `dnnl_sgemm`. Parameters: `weight` `[out, in, k, k]` and `bias` `[out]`.
///
/// Why: with 16-32 channels the unfolded matrix is nine times the image and costs more to write
/// and pack than its product costs to compute. Min of 300 runs of four images, one thread, AMD
/// EPYC Zen 5 with AVX-512: 16->16 channels at 32x32, forward 86 us direct (218 GFLOP/s) against
/// 418 us unfold + sgemm, weight gradient 117 us (162 GFLOP/s) against 752 us; 32->32 at 16x16,
/// forward 82 against 183 us, weight gradient 119 against 218 us; but 64->64 at 8x8, forward 161
/// against 114 us (a row of 8 fills half of a 16-lane vector), which stays
/// on im2col. The ResNet-20 training step at one thread went from 330 to 414 samples/s with the
/// direct forward and input gradient.
public final class Conv2D: Layer {
    /// The kernels, `[outputChannels, inputChannels, kernelSize, kernelSize]`.
    public let weight: Parameter
    /// The bias, `[outputChannels]`, or nil.
    public let bias: Parameter?
    /// The kernel's height and width.
    public let kernelSize: Int
    /// The step between windows.
    public let stride: Int
    /// Zeros added on every side.
    public let padding: Int
    private let columns = ScratchPool()
    private let scratch = ScratchPool()

    /// The number of input channels.
    public var inputChannels: Int { weight.value.shape[1] }
    /// The number of output channels.
    public var outputChannels: Int { weight.value.shape[0] }

    /// The first unusable argument the layer was created with (a kernel or stride below 1, a
    /// negative padding or channel count, initial values of the wrong shape), or nil. Such a
    /// layer holds zeros in place of the parameters, and its `outputShape(forInputShape:)` throws
    /// this problem, so training, evaluation and prediction refuse it with an error naming the
    /// layer instead of trapping.
    public let argumentProblem: ArgumentError?

    /// Creates a layer; initializers default to PyTorch's (uniform in ±1/sqrt(in·k·k)). An
    /// unusable argument does not trap: see `argumentProblem`.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, useBias: Bool = true,
        weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil, generator: inout RandomGenerator
    ) {
        var arguments = LayerArguments(call: "Conv2D(inputChannels:outputChannels:kernelSize:…)")
        let inputs = arguments.size(inputChannels, "inputChannels")
        let outputs = arguments.size(outputChannels, "outputChannels")
        arguments.positive(kernelSize, "kernelSize")
        arguments.positive(stride, "stride")
        arguments.require(padding >= 0, "padding", "is \(padding), a negative padding", fix: "give padding 0 or more")
        let kernel = max(0, kernelSize)
        let standard = Initializer.pytorchDefault(fanIn: inputs * kernel * kernel)
        weight = Parameter(
            arguments.tensor(weightInitializer ?? standard, "weightInitializer", shape: [outputs, inputs, kernel, kernel], generator: &generator))
        bias = useBias ? Parameter(arguments.tensor(biasInitializer ?? standard, "biasInitializer", shape: [outputs], generator: &generator)) : nil
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        argumentProblem = arguments.problem
    }

    /// Convolves `[batch, in, height, width]` to `[batch, out, outHeight, outWidth]`.
    ///
    /// Each image is unfolded and multiplied by the weight on its own (a product whose operands
    /// stay in the L2 cache); fixed chunks of images run in parallel, and per-chunk partial
    /// gradients are summed in chunk order, so results do not depend on the thread count.
    ///
    /// - Precondition: the layer's arguments were usable and `input` fits it (a programmer error,
    ///   as with `Tensor`'s operations; `checkedOutput(for:)` and training check it first and throw).
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        precondition(
            argumentProblem == nil && input.rank == 4 && input.shape[1] == inputChannels,
            "Conv2D(\(inputChannels) -> \(outputChannels)) expects [batch, \(inputChannels), height, width], got \(input.shape)")
        let geometry = WindowGeometry(
            channels: inputChannels, height: input.shape[2], width: input.shape[3],
            kernel: kernelSize, stride: stride, padding: padding)
        precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0, "Conv2D: input \(input.shape) is smaller than the kernel")
        let batch = input.shape[0]
        let plane = geometry.outputPlane
        let patch = geometry.patch
        let outputs = outputChannels
        let imageSize = geometry.channels * geometry.height * geometry.width
        // A 3x3 "same" convolution runs directly from each image, forward and backward, and keeps
        // only the input; others unfold the batch here and keep it for the backward pass.
        let direct = geometry.convolvesDirectly
        let directScratch = DirectConvolution.scratchCount(channels: geometry.channels, height: geometry.height, width: geometry.width)
        var cols = columns.take(direct ? BatchChunks.workers(chunks: BatchChunks.count(batch)) * directScratch : batch * patch * plane)
        let weightValue = weight.value
        let biasValue = bias?.value ?? Tensor(shape: [0])
        let hasBias = bias != nil
        let output = Tensor(
            shape: [batch, outputs, geometry.outputHeight, geometry.outputWidth],
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    cols.withUnsafeMutableBufferPointer { c in
                        weightValue.withUnsafeBufferPointer { w in
                            biasValue.withUnsafeBufferPointer { b in
                                let shared = UncheckedSendable((x.baseAddress!, c.baseAddress!, w.baseAddress!, b.baseAddress, out.baseAddress!))
                                BatchChunks.run(batch: batch) { worker, chunk in
                                    let (x, c, w, b, out) = shared.value
                                    for n in BatchChunks.range(chunk, batch: batch) {
                                        let result = out + n * outputs * plane
                                        if direct {
                                            DirectConvolution.convolve3x3OnCallingThread(
                                                x + n * imageSize, channels: geometry.channels, height: geometry.height,
                                                width: geometry.width, weight: w, outputs: outputs, into: result,
                                                scratch: c + worker * directScratch)
                                        } else {
                                            let image = c + n * patch * plane
                                            geometry.unfold(x + n * imageSize, into: image, rowStride: plane)
                                            Tensor.sgemmOnCallingThread(
                                                transposeA: false, transposeB: false, m: outputs, n: plane, k: patch, alpha: 1,
                                                a: w, lda: patch, b: image, ldb: plane, beta: 0, c: result, ldc: plane)
                                        }
                                        if hasBias, let b {
                                            for o in 0..<outputs {
                                                let row = result + o * plane
                                                let value = b[o]
                                                for p in 0..<plane { row[p] += value }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            })
        let needsInputGradient = context.requiresInputGradient
        let units = BackwardUnits(groups: context.chunks(ofBatch: batch))
        if direct {
            columns.give(cols)
            return (
                output,
                { [weight, bias, scratch] gradient in
                    Conv2D.backward(
                        gradient, from: .input(input), geometry: geometry, units: units, weight: weight, bias: bias, scratch: scratch,
                        needsInputGradient: needsInputGradient)
                }
            )
        }
        return (
            output,
            { [weight, bias, columns, scratch] gradient in
                defer { columns.give(cols) }
                return Conv2D.backward(
                    gradient, from: .unfolded(cols), geometry: geometry, units: units, weight: weight, bias: bias, scratch: scratch,
                    needsInputGradient: needsInputGradient)
            }
        )
    }

    /// True: without a request for it the pullback returns an empty tensor.
    public var canSkipInputGradient: Bool { true }

    /// True: products and gradient sums run chunk by chunk.
    public var keepsToGradientChunks: Bool { true }

    /// Lists `weight` and, if present, `bias`.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("weight", weight)
        if let bias { visitor("bias", bias) }
    }
}
