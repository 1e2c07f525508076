import Tensors

/// Batch normalisation over channel 1 of `[N, C]` (1-D) or `[N, C, H, W]` (2-D) input, as
/// PyTorch's `BatchNorm1d`/`BatchNorm2d`: in training, normalises with the batch's mean and
/// (biased) variance and updates the running statistics with `momentum` (using the unbiased
/// variance); in inference, normalises with the running statistics. Parameters `weight` (γ, 1)
/// and `bias` (β, 0); buffers `running_mean` and `running_var`, saved in checkpoints.
public final class BatchNorm: Layer {
    /// γ, per channel.
    public let weight: Parameter
    /// β, per channel.
    public let bias: Parameter
    /// The running mean, per channel.
    public let runningMean: Buffer
    /// The running variance, per channel.
    public let runningVariance: Buffer
    /// The weight of a new batch's statistics in the running ones.
    public let momentum: Float
    /// Added to the variance.
    public let epsilon: Float

    /// Creates the layer for `features` channels.
    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Parameter(Tensor(shape: [features], repeating: 1))
        bias = Parameter(Tensor(shape: [features], repeating: 0))
        runningMean = Buffer(Tensor(shape: [features], repeating: 0))
        runningVariance = Buffer(Tensor(shape: [features], repeating: 1))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Normalises per channel.
    public func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        precondition(
            (input.rank == 2 || input.rank == 4) && input.shape[1] == weight.value.count,
            "BatchNorm(\(weight.value.count)) expects [batch, \(weight.value.count)] or [batch, \(weight.value.count), height, width], got \(input.shape)"
        )
        let (batch, channels) = (input.shape[0], input.shape[1])
        let plane = input.rank == 4 ? input.shape[2] * input.shape[3] : 1
        let count = batch * plane
        var mean = [Float](repeating: 0, count: channels)
        var inverse = [Float](repeating: 0, count: channels)
        let training = context.isTraining
        if training {
            precondition(count > 1, "BatchNorm needs more than one value per channel in training (batch \(batch))")
            input.withUnsafeBufferPointer { x in
                for c in 0..<channels {
                    var total = 0.0
                    var squares = 0.0
                    for n in 0..<batch {
                        let row = x.baseAddress! + (n * channels + c) * plane
                        for p in 0..<plane { total += Double(row[p]) }
                    }
                    let m = total / Double(count)
                    for n in 0..<batch {
                        let row = x.baseAddress! + (n * channels + c) * plane
                        for p in 0..<plane { squares += (Double(row[p]) - m) * (Double(row[p]) - m) }
                    }
                    let variance = squares / Double(count)
                    mean[c] = Float(m)
                    inverse[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                    runningMean.value[c] = (1 - momentum) * runningMean.value[c] + momentum * Float(m)
                    runningVariance.value[c] = (1 - momentum) * runningVariance.value[c] + momentum * Float(squares / Double(count - 1))
                }
            }
        } else {
            for c in 0..<channels {
                mean[c] = runningMean.value[c]
                inverse[c] = 1 / (runningVariance.value[c] + epsilon).squareRoot()
            }
        }
        let gamma = weight.value
        let beta = bias.value
        var normalized = Tensor(shape: input.shape, repeating: 0)
        let output = Tensor(
            shape: input.shape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    normalized.withUnsafeMutableBufferPointer { xhat in
                        for n in 0..<batch {
                            for c in 0..<channels {
                                let base = (n * channels + c) * plane
                                for p in 0..<plane {
                                    let value = (x[base + p] - mean[c]) * inverse[c]
                                    xhat[base + p] = value
                                    out[base + p] = gamma[c] * value + beta[c]
                                }
                            }
                        }
                    }
                }
            })
        return (
            output,
            { [weight, bias] gradient in
                var dgamma = [Double](repeating: 0, count: channels)
                var dbeta = [Double](repeating: 0, count: channels)
                var weighted = [Double](repeating: 0, count: channels)
                gradient.withUnsafeBufferPointer { dy in
                    normalized.withUnsafeBufferPointer { xhat in
                        for n in 0..<batch {
                            for c in 0..<channels {
                                let base = (n * channels + c) * plane
                                for p in 0..<plane {
                                    dbeta[c] += Double(dy[base + p])
                                    dgamma[c] += Double(dy[base + p]) * Double(xhat[base + p])
                                }
                            }
                        }
                    }
                }
                for c in 0..<channels {
                    weight.gradient[c] += Float(dgamma[c])
                    bias.gradient[c] += Float(dbeta[c])
                    weighted[c] = Double(gamma[c])
                }
                return Tensor(
                    shape: input.shape,
                    unsafeUninitialized: { dx in
                        gradient.withUnsafeBufferPointer { dy in
                            normalized.withUnsafeBufferPointer { xhat in
                                let m = Double(count)
                                for n in 0..<batch {
                                    for c in 0..<channels {
                                        let base = (n * channels + c) * plane
                                        let scale = weighted[c] * Double(inverse[c])
                                        for p in 0..<plane {
                                            if training {
                                                // dx = γ/σ · (dy - mean(dy) - x̂ · mean(dy · x̂))
                                                dx[base + p] = Float(
                                                    scale * (Double(dy[base + p]) - dbeta[c] / m - Double(xhat[base + p]) * dgamma[c] / m))
                                            } else {
                                                dx[base + p] = Float(scale * Double(dy[base + p]))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    })
            }
        )
    }

    /// Lists `weight` and `bias`.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("weight", weight)
        visitor("bias", bias)
    }

    /// Lists `running_mean` and `running_var` (PyTorch's names).
    public func visitBuffers(_ visitor: (String, Buffer) -> Void) {
        visitor("running_mean", runningMean)
        visitor("running_var", runningVariance)
    }
}
