import Layers
import Optimizers
import Tensors

/// One optimisation step: zero the gradients, run the model forward, evaluate the loss,
/// backpropagate, and let the optimizer update every parameter. Returns the loss value
/// computed before the update.
public func trainingStep<L: Loss>(
    model: some Layer, loss: L, optimizer: some Optimizer,
    inputs: Tensor, targets: L.Target, context: ForwardContext
) -> Float {
    trainingStepWithOutput(model: model, loss: loss, optimizer: optimizer, inputs: inputs, targets: targets, context: context).loss
}

/// `trainingStep`, also returning the model's output (for accuracy and other metrics).
public func trainingStepWithOutput<L: Loss>(
    model: some Layer, loss: L, optimizer: some Optimizer,
    inputs: Tensor, targets: L.Target, context: ForwardContext
) -> (loss: Float, output: Tensor) {
    model.zeroGradients()
    let requested = context.requiresInputGradient
    context.requiresInputGradient = false  // nothing uses the gradient with respect to the data
    defer { context.requiresInputGradient = requested }
    let (output, pullback) = model.forward(inputs, context: context)
    let (value, gradient) = loss.evaluate(output, target: targets)
    _ = pullback(consume gradient)
    optimizer.step(model)
    return (value, output)
}

/// A collection of per-sample targets (or inputs) that can be cut into batches.
public protocol BatchSelectable {
    /// The number of samples.
    var sampleCount: Int { get }
    /// The samples at `indices`, in that order.
    func selecting(_ indices: [Int]) -> Self
}

extension Tensor: BatchSelectable {
    /// The size of the first dimension.
    public var sampleCount: Int { shape.first ?? 0 }
    /// The rows at `indices`.
    public func selecting(_ indices: [Int]) -> Tensor { gathering(rows: indices) }
}

extension Array: BatchSelectable {
    /// The number of elements.
    public var sampleCount: Int { count }
    /// The elements at `indices`.
    public func selecting(_ indices: [Int]) -> [Element] { indices.map { self[$0] } }
}
