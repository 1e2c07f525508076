import Layers
import Tensors

/// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening and
/// L2 weight decay, with PyTorch's `torch.optim.SGD` semantics:
///
///     g = grad + weightDecay * p
///     buf = g                                  (first step)
///     buf = momentum * buf + (1 - dampening) * g   (later steps)
///     g = nesterov ? g + momentum * buf : buf
///     p -= learningRate * g
///
/// With `momentum == 0` this is plain gradient descent and keeps no state. Parameters named in
/// `undecayedParameters` get no weight decay (`WeightDecayGrouping`).
public final class SGD: WeightDecayGrouping {
    /// The learning rate of the next step.
    public var learningRate: Float
    /// The momentum factor (0 for plain gradient descent).
    public let momentum: Float
    /// The dampening of the gradient added to the momentum buffer.
    public let dampening: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// The L2 penalty added to the gradient.
    public let weightDecay: Float
    /// The parameters updated without weight decay (none unless set).
    public var undecayedParameters: Set<String> = []
    /// The momentum buffers (slot `momentum_buffer`).
    public var state = OptimizerState()

    /// Creates the optimizer, with heavy-ball momentum when `momentum` is above 0.
    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = false
        self.weightDecay = weightDecay
    }

    /// Creates the optimizer with Nesterov momentum when `nesterov` is true, which needs
    /// `momentum` above 0 and no `dampening` (as PyTorch); otherwise throws an error naming them.
    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool, weightDecay: Float = 0) throws(ArgumentError) {
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw ArgumentError(
                call: "SGD(learningRate:momentum:dampening:nesterov:weightDecay:)", argument: "nesterov",
                reason: "is true with momentum \(momentum) and dampening \(dampening), but Nesterov momentum needs momentum above 0 and dampening 0",
                fix: "give a momentum such as 0.9 and no dampening, or nesterov: false")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// Updates one parameter with the weight decay.
    public func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        update(parameter, slots: &slots, decay: weightDecay)
    }

    /// Updates the parameter called `name`, without weight decay when it is undecayed.
    public func update(_ parameter: Parameter, named name: String, slots: inout [String: Tensor], step: Int) {
        update(parameter, slots: &slots, decay: weightDecay(of: name))
    }

    private func update(_ parameter: Parameter, slots: inout [String: Tensor], decay: Float) {
        let (rate, mu, damp, nesterov) = (learningRate, momentum, dampening, nesterov)
        var unused = Tensor.zeros([0])
        var alsoUnused = Tensor.zeros([0])
        guard mu != 0 else {
            ParameterBuffers.withBuffers(parameter, &unused, &alsoUnused) { p, g, _, _ in
                for i in 0..<p.count { p[i] -= rate * (g[i] + decay * p[i]) }
            }
            return
        }
        let isFirst = slots["momentum_buffer"] == nil
        var buffer = slots.removeValue(forKey: "momentum_buffer") ?? Tensor.zeros(parameter.value.shape)
        let keep = 1 - damp
        // One branch-free loop per case (the per-element branches stopped the loop vectorising: a
        // third of the MLP's step). The arithmetic of each element is unchanged.
        ParameterBuffers.withBuffers(parameter, &buffer, &unused) { p, g, b, _ in
            switch (isFirst, nesterov) {
            case (true, false):
                for i in 0..<p.count {
                    let gradient = g[i] + decay * p[i]
                    b[i] = gradient
                    p[i] -= rate * b[i]
                }
            case (true, true):
                for i in 0..<p.count {
                    let gradient = g[i] + decay * p[i]
                    b[i] = gradient
                    p[i] -= rate * (gradient + mu * b[i])
                }
            case (false, false):
                for i in 0..<p.count {
                    let gradient = g[i] + decay * p[i]
                    b[i] = mu * b[i] + keep * gradient
                    p[i] -= rate * b[i]
                }
            case (false, true):
                for i in 0..<p.count {
                    let gradient = g[i] + decay * p[i]
                    b[i] = mu * b[i] + keep * gradient
                    p[i] -= rate * (gradient + mu * b[i])
                }
            }
        }
        slots["momentum_buffer"] = buffer
    }
}
