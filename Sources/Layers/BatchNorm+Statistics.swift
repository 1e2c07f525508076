import Tensors

/// The pieces of batch normalisation, shared by the whole-batch `forward` and by a training
/// step that normalises a batch cut into chunks (possibly on several processes) with the
/// statistics of the whole batch: per-channel sums of a piece, the normalisation constants from
/// the whole batch's sums, normalising a piece, and the backward pass given the whole batch's
/// gradient sums. Sums are in `Double`, over samples then positions, in memory order.
extension BatchNorm {
    /// The samples, channels and positions per channel (1 for `[N, C]`) of `input`.
    func layout(of input: Tensor) -> (batch: Int, channels: Int, plane: Int) {
        precondition(
            (input.rank == 2 || input.rank == 4) && input.shape[1] == weight.value.count,
            "BatchNorm(\(weight.value.count)) expects [batch, \(weight.value.count)] or [batch, \(weight.value.count), height, width], got \(input.shape)"
        )
        return (input.shape[0], input.shape[1], input.rank == 4 ? input.shape[2] * input.shape[3] : 1)
    }

    /// The number of values per channel in `input` (samples times positions).
    public func valuesPerChannel(in input: Tensor) -> Int {
        let (batch, _, plane) = layout(of: input)
        return batch * plane
    }

    /// Σx per channel.
    public func channelSums(of input: Tensor) -> [Double] {
        let (batch, channels, plane) = layout(of: input)
        var sums = [Double](repeating: 0, count: channels)
        input.withUnsafeBufferPointer { x in
            for c in 0..<channels {
                var total = 0.0
                for n in 0..<batch {
                    let row = x.baseAddress! + (n * channels + c) * plane
                    for p in 0..<plane { total += Double(row[p]) }
                }
                sums[c] = total
            }
        }
        return sums
    }

    /// Σ(x - mean)² per channel, `mean` per channel.
    public func channelSquaredDeviations(of input: Tensor, from mean: [Double]) -> [Double] {
        let (batch, channels, plane) = layout(of: input)
        var squares = [Double](repeating: 0, count: channels)
        input.withUnsafeBufferPointer { x in
            for c in 0..<channels {
                let m = mean[c]
                var total = 0.0
                for n in 0..<batch {
                    let row = x.baseAddress! + (n * channels + c) * plane
                    for p in 0..<plane { total += (Double(row[p]) - m) * (Double(row[p]) - m) }
                }
                squares[c] = total
            }
        }
        return squares
    }

    /// The batch's mean and 1/√(variance + ε) per channel from its mean and Σ(x - mean)² over
    /// `count` values per channel (count > 1); updates the running statistics with them
    /// (unbiased variance), as one training forward pass does.
    public func batchStatistics(mean: [Double], squaredDeviations: [Double], count: Int) -> (mean: [Float], inverse: [Float]) {
        var means = [Float](repeating: 0, count: mean.count)
        var inverse = [Float](repeating: 0, count: mean.count)
        for c in 0..<mean.count {
            let variance = squaredDeviations[c] / Double(count)
            means[c] = Float(mean[c])
            inverse[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
            runningMean.value[c] = (1 - momentum) * runningMean.value[c] + momentum * Float(mean[c])
            // The unbiased variance, as PyTorch keeps it; a single value per channel (a batch that
            // shrank to one sample when bad samples were skipped) has none: the batch's own (0).
            let unbiased = count > 1 ? squaredDeviations[c] / Double(count - 1) : variance
            runningVariance.value[c] = (1 - momentum) * runningVariance.value[c] + momentum * Float(unbiased)
        }
        return (means, inverse)
    }

    /// The output γ·x̂ + β and x̂ = (x - mean)·inverse of `input`.
    public func normalize(_ input: Tensor, mean: [Float], inverse: [Float]) -> (output: Tensor, normalized: Tensor) {
        let (batch, channels, plane) = layout(of: input)
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
        return (output, normalized)
    }

    /// Σdy and Σdy·x̂ per channel: the gradients of β and γ, and what the input gradient needs.
    public func gradientSums(_ gradient: Tensor, normalized: Tensor) -> (dy: [Double], dyTimesNormalized: [Double]) {
        let (batch, channels, plane) = layout(of: gradient)
        var dbeta = [Double](repeating: 0, count: channels)
        var dgamma = [Double](repeating: 0, count: channels)
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
        return (dbeta, dgamma)
    }

    /// The gradient with respect to the input: in training γ/σ·(dy - Σdy/m - x̂·Σ(dy·x̂)/m) with
    /// the sums and count `m` of the whole batch; in inference γ/σ·dy.
    public func inputGradient(
        _ gradient: Tensor, normalized: Tensor, inverse: [Float], sums: (dy: [Double], dyTimesNormalized: [Double]), count: Int,
        training: Bool
    ) -> Tensor {
        let (batch, channels, plane) = layout(of: gradient)
        let gamma = weight.value
        return Tensor(
            shape: gradient.shape,
            unsafeUninitialized: { dx in
                gradient.withUnsafeBufferPointer { dy in
                    normalized.withUnsafeBufferPointer { xhat in
                        let m = Double(count)
                        for n in 0..<batch {
                            for c in 0..<channels {
                                let base = (n * channels + c) * plane
                                let scale = Double(gamma[c]) * Double(inverse[c])
                                for p in 0..<plane {
                                    if training {
                                        dx[base + p] = Float(
                                            scale * (Double(dy[base + p]) - sums.dy[c] / m - Double(xhat[base + p]) * sums.dyTimesNormalized[c] / m))
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

    /// The gradients of `weight` and `bias` (in visiting order, as one vector) for gradient sums.
    public func parameterGradient(_ sums: (dy: [Double], dyTimesNormalized: [Double])) -> [Float] {
        sums.dyTimesNormalized.map { Float($0) } + sums.dy.map { Float($0) }
    }
}
