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

    /// The first unusable argument the layer was created with (a negative size, initial values
    /// of the wrong shape), or nil. Such a layer holds zeros in their place and its
    /// `outputShape(forInputShape:)` throws this problem, so training, evaluation and prediction
    /// refuse it with an error naming the layer instead of trapping.
    public let argumentProblem: ArgumentError?

    /// Creates a layer with initial values drawn from `generator`. The initializers default to
    /// PyTorch's (uniform in ±1/sqrt(inputSize) for both weight and bias). An unusable argument
    /// does not trap: see `argumentProblem`.
    public init(
        inputSize: Int, outputSize: Int, useBias: Bool = true,
        weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil,
        generator: inout RandomGenerator
    ) {
        var arguments = LayerArguments(call: "Dense(inputSize:outputSize:…)")
        let (inputs, outputs) = (arguments.size(inputSize, "inputSize"), arguments.size(outputSize, "outputSize"))
        let standard = Initializer.pytorchDefault(fanIn: inputs)
        weight = Parameter(arguments.tensor(weightInitializer ?? standard, "weightInitializer", shape: [outputs, inputs], generator: &generator))
        bias =
            useBias
            ? Parameter(arguments.tensor(biasInitializer ?? standard, "biasInitializer", shape: [outputs], generator: &generator))
            : nil
        argumentProblem = arguments.problem
    }

    /// Creates a layer from given values: `weight` `[outputSize, inputSize]`, `bias` `[outputSize]`
    /// or nil; other shapes throw an error naming the argument and both shapes.
    public init(weight: Tensor, bias: Tensor?) throws(ArgumentError) {
        let call = "Dense(weight:bias:)"
        guard weight.rank == 2 else {
            throw ArgumentError(
                call: call, argument: "weight", reason: "has shape \(weight.shape), not [outputSize, inputSize]", fix: "give a rank-2 weight")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw ArgumentError(
                call: call, argument: "bias", reason: "has shape \(bias.shape), but the weight \(weight.shape) needs [\(weight.shape[0])]",
                fix: "give one bias value per output (row of the weight)")
        }
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        argumentProblem = nil
    }

    /// `input · weightᵀ + bias`; the pullback adds `gradientᵀ · input` to the weight gradient and
    /// the batch sum of the gradient to the bias gradient. Both products run chunk by chunk of the
    /// context's gradient chunks, and the weight and bias gradients are summed per chunk and then
    /// up the chunk tree, so a chunk's bits never depend on the rest of the batch.
    /// - Precondition: `input` is `[batch, inputSize]` (a programmer error, as with `Tensor`'s
    ///   operations; `checkedOutput(for:)` and training check it first and throw).
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
