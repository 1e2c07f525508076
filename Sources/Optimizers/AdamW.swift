import Layers
import Tensors

/// Adam with decoupled weight decay (Loshchilov & Hutter), with PyTorch's `torch.optim.AdamW`
/// semantics: the parameter shrinks before the Adam step, and the decay never enters the moments:
///
///     p *= 1 - learningRate * weightDecay
///     m = beta1 * m + (1 - beta1) * grad
///     v = beta2 * v + (1 - beta2) * grad²
///     p -= learningRate / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
///
/// Parameters named in `undecayedParameters` do not shrink (`WeightDecayGrouping`). The slots
/// are Adam's (`exp_avg`, `exp_avg_sq`).
public final class AdamW: WeightDecayGrouping {
    /// The learning rate of the next step.
    public var learningRate: Float
    /// The decay rate of the first-moment estimate.
    public let beta1: Float
    /// The decay rate of the second-moment estimate.
    public let beta2: Float
    /// Added to the denominator for numerical stability.
    public let epsilon: Float
    /// The decoupled weight decay (each step shrinks the parameter by `learningRate * weightDecay`).
    public let weightDecay: Float
    /// The parameters updated without weight decay (none unless set).
    public var undecayedParameters: Set<String> = []
    /// The moment estimates (slots `exp_avg` and `exp_avg_sq`).
    public var state = OptimizerState()

    /// Creates the optimizer with PyTorch's defaults (`weightDecay` 0.01).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Updates one parameter with the weight decay.
    public func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        update(parameter, slots: &slots, step: step, decay: weightDecay)
    }

    /// Updates the parameter called `name`, without weight decay when it is undecayed.
    public func update(_ parameter: Parameter, named name: String, slots: inout [String: Tensor], step: Int) {
        update(parameter, slots: &slots, step: step, decay: weightDecay(of: name))
    }

    private func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int, decay: Float) {
        // PyTorch: param.mul_(1 - lr * weight_decay), the factor worked out in double precision.
        let shrink = Float(1 - Double(learningRate) * Double(decay))
        AdamMoments(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
            .update(parameter, slots: &slots, step: step, penalty: 0, shrink: shrink)
    }
}
