import Tensors

/// A fully connected layer: `output = input · weightᵀ + bias` for input `[batch, inputSize]`.
///
/// The weight has PyTorch's shape `[outputSize, inputSize]`, so checkpoints map one-to-one onto
/// `torch.nn.Linear`; parameters are named `weight` and `bias`.
public final class Dense: Layer {
    /// The weight, shape `[outputSize, inputSize]`.
    public let weight: Parameter
    /// The bias, shape `[outputSize]`, or nil for a layer without one.
    public let bias: Parameter?

    /// The number of input features.
    public var inputSize: Int { weight.value.shape[1] }
    /// The number of output features.
    public var outputSize: Int { weight.value.shape[0] }

    /// Creates a layer with initial values drawn from `generator`. The initializers default to
    /// PyTorch's (uniform in ±1/sqrt(inputSize) for both weight and bias).
    public init(
        inputSize: Int, outputSize: Int, useBias: Bool = true,
        weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil,
        generator: inout RandomGenerator
    ) {
        let standard = Initializer.pytorchDefault(fanIn: inputSize)
        weight = Parameter((weightInitializer ?? standard).makeTensor(shape: [outputSize, inputSize], generator: &generator))
        bias =
            useBias
            ? Parameter((biasInitializer ?? standard).makeTensor(shape: [outputSize], generator: &generator))
            : nil
    }

    /// Creates a layer from given values: `weight` `[outputSize, inputSize]`, `bias` `[outputSize]`.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Dense weight must be [outputSize, inputSize], got \(weight.shape)")
        precondition(bias == nil || bias?.shape == [weight.shape[0]], "Dense bias must be [\(weight.shape[0])]")
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
    }

    /// `input · weightᵀ + bias`; the pullback adds `gradientᵀ · input` to the weight gradient and
    /// the batch sum of the gradient to the bias gradient. Both products run chunk by chunk of the
    /// context's gradient chunks, and the weight and bias gradients are summed per chunk and then
    /// up the chunk tree, so a chunk's bits never depend on the rest of the batch.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        precondition(
            input.rank == 2 && input.shape[1] == inputSize,
            "Dense(\(inputSize) -> \(outputSize)) expects input [batch, \(inputSize)], got \(input.shape)")
        let chunks = context.chunks(ofBatch: input.shape[0])
        var output = Tensor.matmul(input, weight.value, transposeB: true, rowChunks: chunks)
        if let bias { output += bias.value }
        let needsInputGradient = context.requiresInputGradient
        return (
            output,
            { [weight, bias] gradient in
                Tensor.addChunkedProducts(transposing: gradient, input, rowChunks: chunks, into: &weight.gradient)
                if let bias { Tensor.addChunkedColumnSums(of: gradient, rowChunks: chunks, into: &bias.gradient) }
                return needsInputGradient ? Tensor.matmul(gradient, weight.value, rowChunks: chunks) : Tensor(shape: [0])
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
