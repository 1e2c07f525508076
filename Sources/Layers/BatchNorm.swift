import Tensors

/// Batch normalisation over channel 1 of `[N, C]` (1-D) or `[N, C, H, W]` (2-D) input, as
/// PyTorch's `BatchNorm1d`/`BatchNorm2d`: in training, normalises with the batch's mean and
/// (biased) variance and updates the running statistics with `momentum` (using the unbiased
/// variance); in inference, normalises with the running statistics. Parameters `weight` (γ, 1)
/// and `bias` (β, 0); buffers `running_mean`, `running_var` and `num_batches_tracked`, saved in
/// checkpoints under PyTorch's names (so a `state_dict` loads them with `strict=True`).
public final class BatchNorm: Layer {
    /// γ, per channel.
    public let weight: Parameter
    /// β, per channel.
    public let bias: Parameter
    /// The running mean, per channel.
    public let runningMean: Buffer
    /// The running variance, per channel.
    public let runningVariance: Buffer
    /// How many training batches updated the running statistics (a scalar, PyTorch's
    /// `num_batches_tracked`; exact up to 2^24 batches, kept as a float like every tensor here).
    public let batchesTracked: Buffer
    /// The weight of a new batch's statistics in the running ones.
    public let momentum: Float
    /// Added to the variance.
    public let epsilon: Float

    /// The first unusable argument the layer was created with (a negative feature count), or
    /// nil; the layer's `outputShape(forInputShape:)` throws it, so training, evaluation and
    /// prediction refuse the layer with an error naming it instead of trapping.
    public let argumentProblem: ArgumentError?

    /// Creates the layer for `features` channels. An unusable argument does not trap: see
    /// `argumentProblem`.
    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        var arguments = LayerArguments(call: "BatchNorm(features:momentum:epsilon:)")
        let features = arguments.size(features, "features")
        argumentProblem = arguments.problem
        weight = Parameter(Tensor(shape: [features], repeating: 1))
        bias = Parameter(Tensor(shape: [features], repeating: 0))
        runningMean = Buffer(Tensor(shape: [features], repeating: 0))
        runningVariance = Buffer(Tensor(shape: [features], repeating: 1))
        batchesTracked = Buffer(Tensor(0))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Normalises per channel, with the whole batch's statistics in training.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let channels = layout(of: input).channels
        let count = valuesPerChannel(in: input)
        let training = context.isTraining
        let mean: [Float]
        let inverse: [Float]
        if training {
            if context.chunkRows != nil { context.normalizedWithinChunks = true }
            // One value per channel normalises to β (x̂ = 0) rather than trapping: the configuration
            // refuses a final batch of one, but skipped bad samples can still shrink a batch to one.
            let sums = channelSums(of: input)
            let means = sums.map { $0 / Double(count) }
            (mean, inverse) = batchStatistics(
                mean: means, squaredDeviations: channelSquaredDeviations(of: input, from: means), count: count)
        } else {
            mean = runningMean.value.scalars
            inverse = runningVariance.value.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        }
        let (output, normalized) = normalize(input, mean: mean, inverse: inverse)
        return (
            output,
            { [weight, bias] gradient in
                let sums = self.gradientSums(gradient, normalized: normalized)
                let gradients = self.parameterGradient(sums)  // weight's, then bias's
                weight.accumulateGradient(Tensor(shape: [channels], scalars: Array(gradients[..<channels])))
                bias.accumulateGradient(Tensor(shape: [channels], scalars: Array(gradients[channels...])))
                return self.inputGradient(gradient, normalized: normalized, inverse: inverse, sums: sums, count: count, training: training)
            }
        )
    }

    /// Lists `weight` and `bias`.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("weight", weight)
        visitor("bias", bias)
    }

    /// Lists `running_mean`, `running_var` and `num_batches_tracked` (PyTorch's names).
    public func visitBuffers(_ visitor: (String, Buffer) -> Void) {
        visitor("running_mean", runningMean)
        visitor("running_var", runningVariance)
        visitor("num_batches_tracked", batchesTracked)
    }
}
