/// Something that reacts to the training loop's events: progress output, metrics files,
/// TensorBoard, validation, checkpoints. Callbacks are called in the order they were given to
/// the `Trainer`, on the loop's thread; a thrown error stops training.
///
/// A callback is a few lines:
/// ```swift
/// final class LossPrinter: TrainingCallback {
///     func handle(_ event: TrainingEvent, trainer: Trainer) throws {
///         if case .stepEnded(let step) = event, step.step % 100 == 0 { print(step.step, step.loss) }
///     }
/// }
/// ```
public protocol TrainingCallback: AnyObject {
    /// Reacts to `event`. `trainer` gives the model, the optimizer, the shared metrics of the
    /// current epoch, and `announce` for events of the callback's own.
    func handle(_ event: TrainingEvent, trainer: Trainer) throws
}
