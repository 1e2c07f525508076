import Layers
import Tensors

extension Layer {
    /// Clips the gradients in the model's parameters by their global norm, as PyTorch's
    /// `torch.nn.utils.clip_grad_norm_(model.parameters(), maxNorm)`: the norm is taken over all
    /// parameters' gradients together (the square root of the sum of every element's square), and
    /// when it is above `maxNorm` every gradient is scaled by `maxNorm / (norm + 1e-6)`. Returns
    /// the norm before clipping. The sum runs in double precision over the parameters in their
    /// visiting order, so the same gradients give the same bits (in a data-parallel run, whose
    /// gradients are the same on every rank, on any number of ranks).
    @discardableResult
    public func clipGradientNorm(to maxNorm: Float) -> Double {
        var squares = 0.0
        visitParameters { _, parameter in
            parameter.gradient.withUnsafeBufferPointer { gradient in
                for value in gradient { squares += Double(value) * Double(value) }
            }
        }
        let norm = squares.squareRoot()
        let coefficient = Double(maxNorm) / (norm + 1e-6)
        if coefficient < 1 {
            let scale = Float(coefficient)
            visitParameters { _, parameter in
                parameter.gradient.withUnsafeMutableBufferPointer { gradient in
                    for index in gradient.indices { gradient[index] *= scale }
                }
            }
        }
        return norm
    }
}
