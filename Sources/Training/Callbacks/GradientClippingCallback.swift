import Layers
import Optimizers
import Tensors

/// Clips the step's gradients by their global norm before every update (on the loop's
/// `.beforeUpdate` hook), as `torch.nn.utils.clip_grad_norm_` called between `backward()` and
/// `optimizer.step()`: see `Layer.clipGradientNorm(to:)`. In a data-parallel run it acts on the
/// exchanged gradients, the same on every rank, so every rank clips alike and the weights are
/// the same bits on any number of ranks. Give it first among the callbacks for the others to see
/// the clipped gradients (a pipeline file's `optimizer.gradient_clipping` does).
public final class GradientClippingCallback: TrainingCallback {
    /// The largest global norm the update may use.
    public let maxNorm: Float
    /// The global norm of the last step's gradients before clipping (nil before the first step).
    public private(set) var lastNorm: Double?
    /// Steps whose gradients were scaled down so far.
    public private(set) var clippedSteps = 0

    /// Creates the callback; `maxNorm` must be a positive finite number, else an error naming it.
    public init(maxNorm: Float) throws(ArgumentError) {
        guard maxNorm > 0 && maxNorm.isFinite else {
            throw ArgumentError(
                call: "GradientClippingCallback(maxNorm:)", argument: "maxNorm", reason: "is \(maxNorm), not a positive finite number",
                fix: "give the largest gradient norm to allow, such as 1.0")
        }
        self.maxNorm = maxNorm
    }

    /// Clips at `.beforeUpdate`.
    public func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        guard case .beforeUpdate = event else { return }
        let norm = trainer.model.clipGradientNorm(to: maxNorm)
        lastNorm = norm
        if Double(maxNorm) / (norm + 1e-6) < 1 { clippedSteps += 1 }
    }
}
