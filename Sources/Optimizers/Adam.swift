import Layers
import Tensors

/// Adam (Kingma & Ba) with PyTorch's `torch.optim.Adam` semantics and optional L2 weight decay:
///
///     g = grad + weightDecay * p
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g²
///     p -= learningRate / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
///
/// Parameters named in `undecayedParameters` get no weight decay (`WeightDecayGrouping`).
public final class Adam: WeightDecayGrouping {
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
    /// The parameters updated without weight decay (none unless set).
    public var undecayedParameters: Set<String> = []
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

    /// Updates one parameter with the weight decay.
    public func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        moments.update(parameter, slots: &slots, step: step, penalty: weightDecay, shrink: 1)
    }

    /// Updates the parameter called `name`, without weight decay when it is undecayed.
    public func update(_ parameter: Parameter, named name: String, slots: inout [String: Tensor], step: Int) {
        moments.update(parameter, slots: &slots, step: step, penalty: weightDecay(of: name), shrink: 1)
    }

    private var moments: AdamMoments {
        AdamMoments(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }
}

/// The moment update Adam and AdamW share, with the L2 `penalty` added to the gradient (Adam)
/// and the parameter first multiplied by `shrink` (AdamW's `1 - learningRate * weightDecay`).
struct AdamMoments {
    let learningRate: Float
    let beta1: Float
    let beta2: Float
    let epsilon: Float

    /// Updates one parameter and its slots `exp_avg` and `exp_avg_sq`. A `penalty` of 0 adds
    /// exactly nothing and a `shrink` of 1 changes nothing (the same bits as without them).
    func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int, penalty: Float, shrink: Float) {
        let shape = parameter.value.shape
        var first = slots.removeValue(forKey: "exp_avg") ?? Tensor.zeros(shape)
        var second = slots.removeValue(forKey: "exp_avg_sq") ?? Tensor.zeros(shape)
        let correction1 = 1 - Double(beta1).power(step)
        let correction2 = 1 - Double(beta2).power(step)
        let stepSize = Float(Double(learningRate) / correction1)
        let root2 = Float(correction2.squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        ParameterBuffers.withBuffers(parameter, &first, &second) { p, g, m, v in
            for i in 0..<p.count {
                let gradient = g[i] + penalty * p[i]
                m[i] = b1 * m[i] + (1 - b1) * gradient
                v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
                p[i] = p[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
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
