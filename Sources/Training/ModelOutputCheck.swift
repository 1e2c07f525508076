import Distributed
import Layers
import SystemIO
import Tensors

/// Checks a model's output against the class labels it is about to be scored on, so that a
/// model whose last layer does not fit the data's classes is an error naming that layer instead
/// of a trap inside the loss: one row of values per sample, and every label below the loss's
/// `ClassificationLoss.labelLimit(outputWidth:)` (the row's width; 2 for a single output, a
/// binary classifier, except under cross-entropy, which needs one output per class).
enum ModelOutputCheck {
    /// Throws a `DataError` unless `output` (`[batch, width]`) can be scored by `loss` against
    /// `labels` (of the samples with dataset indices `indices`): every label below the loss's
    /// `labelLimit(outputWidth:)`.
    static func check(_ output: Tensor, labels: [Int], indices: [Int], model: any Layer, loss: any ClassificationLoss) throws(DataError) {
        guard output.rank == 2 else {
            throw DataError(
                .inconsistentShape, path: "the model's output",
                reason: "\(lastLayer(of: model)) gives samples of shape \(Array(output.shape.dropFirst())), but a classification loss needs "
                    + "one value per class",
                fix: "end the model with a Flatten and a Dense layer of one output per class")
        }
        let width = output.shape[1]
        let limit = loss.labelLimit(outputWidth: width)
        guard let slot = labels.firstIndex(where: { $0 < 0 || $0 >= limit }) else { return }
        let classes = (labels.max() ?? 0) + 1
        throw DataError(
            .unknownLabel, path: "sample \(slot < indices.count ? indices[slot] : slot)",
            reason: "label \(labels[slot]) is beyond the model's \(width) output\(width == 1 ? "" : "s") (\(lastLayer(of: model)) gives "
                + "samples of shape [\(width)])",
            fix: "give the last layer one output per class (at least \(max(classes, 2)))")
    }

    /// `the model's last layer, <path> (<type>),` for an error.
    private static func lastLayer(of model: any Layer) -> String {
        guard let layout = try? ParameterLayout(model: model), let layer = layout.layers.last, let path = layout.paths.last, !path.isEmpty
        else { return "the model (\(type(of: model)))" }
        return "the model's last layer, \(path) (\(type(of: layer))),"
    }
}
