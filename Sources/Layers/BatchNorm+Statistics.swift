import Tensors

/// The pieces of batch normalisation, shared by the whole-batch `forward` and by a training
/// step that normalises a batch cut into chunks (possibly on several processes) with the
/// statistics of the whole batch: per-channel sums of a piece, the normalisation constants from
/// the whole batch's sums, normalising a piece, and the backward pass given the whole batch's
/// gradient sums. Sums are in `Double`: each sample's positions in eight interleaved partial sums
/// (`laneSum`, added in a fixed tree), samples in order. Channels run in parallel, each on one
/// thread, so the bits never depend on the thread count (nor on the instruction set: the lanes
/// are exact per-lane IEEE additions whatever the vector width).
extension BatchNorm {
    /// The samples, channels and positions per channel (1 for `[N, C]`) of `input`.
    func layout(of input: Tensor) -> (batch: Int, channels: Int, plane: Int) {
        precondition(
            (input.rank == 2 || input.rank == 4) && input.shape[1] == weight.value.count,
            "BatchNorm(\(weight.value.count)) expects [batch, \(weight.value.count)] or [batch, \(weight.value.count), height, width], got \(input.shape)"
        )
        return (input.shape[0], input.shape[1], input.rank == 4 ? input.shape[2] * input.shape[3] : 1)
    }

    /// The number of values per channel in `input`, or in its samples `rows` (samples times positions).
    public func valuesPerChannel(in input: Tensor, rows: Range<Int>? = nil) -> Int {
        let (batch, _, plane) = layout(of: input)
        return (rows?.count ?? batch) * plane
    }

    /// Σx per channel, over the samples `rows` (default: all).
    public func channelSums(of input: Tensor, rows: Range<Int>? = nil) -> [Double] {
        channelReduction(input, rows: rows) { x, _, count in
            BatchNorm.laneSum(count, { BatchNorm.doubles(x, $0) }, { Double(x[$0]) })
        }
    }

    /// Σ(x - mean)² per channel, `mean` per channel, over the samples `rows` (default: all).
    public func channelSquaredDeviations(of input: Tensor, rows: Range<Int>? = nil, from mean: [Double]) -> [Double] {
        channelReduction(input, rows: rows) { x, channel, count in
            let m = mean[channel]
            let lanesOfM = SIMD8<Double>(repeating: m)
            return BatchNorm.laneSum(
                count,
                { index in
                    let deviation = BatchNorm.doubles(x, index) - lanesOfM
                    return deviation * deviation
                }, { (Double(x[$0]) - m) * (Double(x[$0]) - m) })
        }
    }

    /// `row(x, channel, count)` summed over the samples in order, per channel: `x` points at one
    /// sample's `count` positions of `channel`.
    private func channelReduction(_ input: Tensor, rows: Range<Int>?, row: @Sendable (UnsafePointer<Float>, Int, Int) -> Double) -> [Double] {
        let (batch, channels, plane) = layout(of: input)
        let samples = checkedSamples(rows, batch: batch)
        var sums = [Double](repeating: 0, count: channels)
        input.withUnsafeBufferPointer { x in
            sums.withUnsafeMutableBufferPointer { out in
                let shared = UncheckedSendable((x.baseAddress!, out.baseAddress!))
                ComputeThreads.forEachChunk(channels, threads: BatchNorm.threads(for: samples.count * channels * plane)) { _, c in
                    let (x, out) = shared.value
                    var total = 0.0
                    for n in samples { total += row(x + (n * channels + c) * plane, c, plane) }
                    out[c] = total
                }
            }
        }
        return sums
    }

    /// The samples `rows` of a batch of `batch` (default: all); they must lie in the batch.
    private func checkedSamples(_ rows: Range<Int>?, batch: Int) -> Range<Int> {
        let samples = rows ?? 0..<batch
        precondition(samples.lowerBound >= 0 && samples.upperBound <= batch, "BatchNorm: rows \(samples) of a batch of \(batch)")
        return samples
    }

    /// Threads for `elements` values: one below 64K, so small layers do not pay for waking helpers.
    static func threads(for elements: Int) -> Int {
        elements < 1 << 16 ? 1 : ComputeThreads.maximum
    }

    /// Σ over i in 0..<count: `vector(i)` gives the values of the eight positions from i on,
    /// `scalar(i)` one position's (the tail); in eight interleaved partial sums added
    /// ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)).
    @inline(__always)
    static func laneSum(_ count: Int, _ vector: (Int) -> SIMD8<Double>, _ scalar: (Int) -> Double) -> Double {
        var lanes = SIMD8<Double>()
        var index = 0
        while index + 8 <= count {
            lanes += vector(index)
            index += 8
        }
        var lane = 0
        while index < count {
            lanes[lane] += scalar(index)
            index += 1
            lane += 1
        }
        return tree(lanes)
    }

    /// Two sums at once, in one pass (`vector` gives both sums' eight values, `scalar` both
    /// values of one position), each added as `laneSum` adds its values (the same bits).
    @inline(__always)
    static func laneSums(
        _ count: Int, _ vector: (Int) -> (SIMD8<Double>, SIMD8<Double>), _ scalar: (Int) -> (Double, Double)
    ) -> (first: Double, second: Double) {
        var first = SIMD8<Double>()
        var second = SIMD8<Double>()
        var index = 0
        while index + 8 <= count {
            let (a, b) = vector(index)
            first += a
            second += b
            index += 8
        }
        var lane = 0
        while index < count {
            let (a, b) = scalar(index)
            first[lane] += a
            second[lane] += b
            index += 1
            lane += 1
        }
        return (tree(first), tree(second))
    }

    /// The eight lanes added ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)).
    @inline(__always)
    static func tree(_ lanes: SIMD8<Double>) -> Double {
        ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    }

    /// The eight floats at `pointer + index`, as doubles.
    @inline(__always)
    static func doubles(_ pointer: UnsafePointer<Float>, _ index: Int) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(pointer + index).loadUnaligned(as: SIMD8<Float>.self))
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
            runningMean.value[flat: c] = (1 - momentum) * runningMean.value[flat: c] + momentum * Float(mean[c])
            // The unbiased variance, as PyTorch keeps it; a single value per channel (a batch that
            // shrank to one sample when bad samples were skipped) has none: the batch's own (0).
            let unbiased = count > 1 ? squaredDeviations[c] / Double(count - 1) : variance
            runningVariance.value[flat: c] = (1 - momentum) * runningVariance.value[flat: c] + momentum * Float(unbiased)
        }
        batchesTracked.value[flat: 0] += 1
        return (means, inverse)
    }

    /// The output γ·x̂ + β and x̂ = (x - mean)·inverse of `input`.
    public func normalize(_ input: Tensor, mean: [Float], inverse: [Float]) -> (output: Tensor, normalized: Tensor) {
        let (batch, channels, plane) = layout(of: input)
        let gamma = weight.value.scalars
        let beta = bias.value.scalars
        var normalized = Tensor(shape: input.shape, unsafeUninitialized: { _ in })
        let output = Tensor(
            shape: input.shape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    normalized.withUnsafeMutableBufferPointer { xhat in
                        let shared = UncheckedSendable((x.baseAddress!, xhat.baseAddress!, out.baseAddress!))
                        // A chunk per sample (all its channels): element-wise, so any split gives the same bits,
                        // and fewer, larger chunks than one per channel row cost less to hand out.
                        ComputeThreads.forEachChunk(batch, threads: BatchNorm.threads(for: input.count)) { _, sample in
                            let (x, xhat, out) = shared.value
                            for c in 0..<channels {
                                let (m, s, g, b) = (mean[c], inverse[c], gamma[c], beta[c])
                                let base = (sample * channels + c) * plane
                                for p in base..<(base + plane) {
                                    let value = (x[p] - m) * s
                                    xhat[p] = value
                                    out[p] = g * value + b
                                }
                            }
                        }
                    }
                }
            })
        return (output, normalized)
    }

    /// Σdy and Σdy·x̂ per channel over the samples `rows` (default: all): the gradients of β and
    /// γ, and what the input gradient needs.
    public func gradientSums(_ gradient: Tensor, normalized: Tensor, rows: Range<Int>? = nil) -> (dy: [Double], dyTimesNormalized: [Double]) {
        let (batch, channels, plane) = layout(of: gradient)
        let samples = checkedSamples(rows, batch: batch)
        var dbeta = [Double](repeating: 0, count: channels)
        var dgamma = [Double](repeating: 0, count: channels)
        gradient.withUnsafeBufferPointer { dy in
            normalized.withUnsafeBufferPointer { xhat in
                dbeta.withUnsafeMutableBufferPointer { outBeta in
                    dgamma.withUnsafeMutableBufferPointer { outGamma in
                        let shared = UncheckedSendable((dy.baseAddress!, xhat.baseAddress!, outBeta.baseAddress!, outGamma.baseAddress!))
                        ComputeThreads.forEachChunk(channels, threads: BatchNorm.threads(for: samples.count * channels * plane)) { _, c in
                            let (dy, xhat, outBeta, outGamma) = shared.value
                            var (sumDy, sumDyX) = (0.0, 0.0)
                            for n in samples {
                                let (dy, xhat) = (dy + (n * channels + c) * plane, xhat + (n * channels + c) * plane)
                                let sums = BatchNorm.laneSums(
                                    plane,
                                    { index in
                                        let gradient = BatchNorm.doubles(dy, index)
                                        return (gradient, gradient * BatchNorm.doubles(xhat, index))
                                    }, { (Double(dy[$0]), Double(dy[$0]) * Double(xhat[$0])) })
                                sumDy += sums.first
                                sumDyX += sums.second
                            }
                            outBeta[c] = sumDy
                            outGamma[c] = sumDyX
                        }
                    }
                }
            }
        }
        return (dbeta, dgamma)
    }

    /// The gradient with respect to the input: in training γ/σ·(dy - Σdy/m - x̂·Σ(dy·x̂)/m) with
    /// the sums and count `m` of the whole batch; in inference γ/σ·dy. The per-channel constants
    /// are computed in `Double`, the per-element arithmetic in `Float`.
    public func inputGradient(
        _ gradient: Tensor, normalized: Tensor, inverse: [Float], sums: (dy: [Double], dyTimesNormalized: [Double]), count: Int,
        training: Bool
    ) -> Tensor {
        let (batch, channels, plane) = layout(of: gradient)
        let gamma = weight.value.scalars
        let m = Double(max(count, 1))
        let scales = (0..<channels).map { Float(Double(gamma[$0]) * Double(inverse[$0])) }
        let meanDy = (0..<channels).map { training ? Float(sums.dy[$0] / m) : 0 }
        let meanDyX = (0..<channels).map { training ? Float(sums.dyTimesNormalized[$0] / m) : 0 }
        return Tensor(
            shape: gradient.shape,
            unsafeUninitialized: { dx in
                gradient.withUnsafeBufferPointer { dy in
                    normalized.withUnsafeBufferPointer { xhat in
                        let shared = UncheckedSendable((dy.baseAddress!, xhat.baseAddress!, dx.baseAddress!))
                        ComputeThreads.forEachChunk(batch, threads: BatchNorm.threads(for: gradient.count)) { _, sample in
                            let (dy, xhat, dx) = shared.value
                            for c in 0..<channels {
                                let (scale, a, b) = (scales[c], meanDy[c], meanDyX[c])
                                let base = (sample * channels + c) * plane
                                for p in base..<(base + plane) { dx[p] = scale * ((dy[p] - a) - xhat[p] * b) }
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
