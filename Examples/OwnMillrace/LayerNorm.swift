import Millrace

/// Layer normalisation (Ba, Kiros and Hinton, 2016) over each sample's features, with a learnable
/// gain and bias per feature: `y = (x - mean) / sqrt(variance + epsilon) * gain + bias`, the mean
/// and (biased) variance taken over the sample's own features, so each row is normalised on its
/// own. This file is the layer's own math; the rest of the example is the code around it.
final class LayerNorm: Layer {
    /// Multiplies each normalised feature (starts at 1).
    let gain: Parameter
    /// Added to each feature (starts at 0).
    let bias: Parameter
    /// Keeps the division finite for a constant row.
    let epsilon: Float = 1e-5

    /// A layer for samples of `features` features.
    init(features: Int) {
        gain = Parameter(Tensor(shape: [features], repeating: 1))
        bias = Parameter(Tensor(shape: [features], repeating: 0))
    }

    /// The output for a batch `[rows, features]`, and the pullback: it adds ∂loss/∂gain and
    /// ∂loss/∂bias to the parameters and returns ∂loss/∂input,
    /// `(g - mean(g) - x̂ · mean(g · x̂)) / σ` per row, where `g` is ∂loss/∂x̂ = gradient · gain.
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
        let features = gain.value.count
        let rows = input.count / features
        var inverseDeviations = [Float](repeating: 0, count: rows)
        // x̂, the normalised input.
        let normalized = Tensor(
            shape: input.shape,
            unsafeUninitialized: { out in
                input.withUnsafeBufferPointer { x in
                    for row in 0..<rows {
                        let base = row * features
                        var mean: Float = 0
                        for feature in 0..<features { mean += x[base + feature] }
                        mean /= Float(features)
                        var variance: Float = 0
                        for feature in 0..<features { variance += (x[base + feature] - mean) * (x[base + feature] - mean) }
                        let inverse = 1 / (variance / Float(features) + epsilon).squareRoot()
                        inverseDeviations[row] = inverse
                        for feature in 0..<features { out[base + feature] = (x[base + feature] - mean) * inverse }
                    }
                }
            })
        let gainValue = gain.value
        let inverses = inverseDeviations
        let pullback: Pullback = { [gain, bias] gradient in
            gain.accumulateGradient((gradient * normalized).sum(alongAxis: 0))
            bias.accumulateGradient(gradient.sum(alongAxis: 0))
            let normalizedGradient = gradient * gainValue
            return Tensor(
                shape: input.shape,
                unsafeUninitialized: { out in
                    normalizedGradient.withUnsafeBufferPointer { g in
                        normalized.withUnsafeBufferPointer { n in
                            for row in 0..<rows {
                                let base = row * features
                                var meanGradient: Float = 0
                                var meanProduct: Float = 0
                                for feature in 0..<features {
                                    meanGradient += g[base + feature]
                                    meanProduct += g[base + feature] * n[base + feature]
                                }
                                meanGradient /= Float(features)
                                meanProduct /= Float(features)
                                for feature in 0..<features {
                                    let centred = g[base + feature] - meanGradient - n[base + feature] * meanProduct
                                    out[base + feature] = centred * inverses[row]
                                }
                            }
                        }
                    }
                })
        }
        return (normalized * gainValue + bias.value, pullback)
    }

    /// The input's shape, whose features must be the layer's.
    func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.reduce(1, *) == gain.value.count else {
            throw LayerShapeError(reason: "it normalises \(gain.value.count) features, not \(shape)", fix: "build it for the input it gets")
        }
        return shape
    }

    /// `gain` and `bias`, the checkpoint's names (prefixed with the layer's position).
    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("gain", gain)
        visitor("bias", bias)
    }
}
