import Layers
import Tensors

/// Adam (Kingma & Ba) with PyTorch's `torch.optim.Adam` semantics and optional L2 weight decay:
///
///     g = grad + weightDecay * p
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g²
///     p -= learningRate / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
public final class Adam: Optimizer {
    /// The learning rate of the next step.
    public var learningRate: Float
    /// The decay rate of the first-moment estimate.
    public let beta1: Float
    /// The decay rate of the second-moment estimate.
    public let beta2: Float
    /// Added to the denominator for numerical stability.
    public let epsilon: Float
    /// The L2 penalty added to the gradient.
    public let weightDecay: Float
    /// The moment estimates (slots `exp_avg` and `exp_avg_sq`).
    public var state = OptimizerState()

    /// Creates the optimizer with PyTorch's defaults.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Updates one parameter.
    public func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        let shape = parameter.value.shape
        var first = slots.removeValue(forKey: "exp_avg") ?? Tensor.zeros(shape)
        var second = slots.removeValue(forKey: "exp_avg_sq") ?? Tensor.zeros(shape)
        let correction1 = 1 - Double(beta1).power(step)
        let correction2 = 1 - Double(beta2).power(step)
        let stepSize = Float(Double(learningRate) / correction1)
        let root2 = Float(correction2.squareRoot())
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        ParameterBuffers.withBuffers(parameter, &first, &second) { p, g, m, v in
            for i in 0..<p.count {
                let gradient = g[i] + decay * p[i]
                m[i] = b1 * m[i] + (1 - b1) * gradient
                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
            }
        }
        slots["exp_avg"] = first
        slots["exp_avg_sq"] = second
    }
}

extension Double {
    /// `self` raised to a non-negative integer power.
    func power(_ exponent: Int) -> Double {
        var result = 1.0
        var base = self
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
