import Layers
import SystemIO
import Tensors

extension ModelOutputCheck {
    /// Throws a `DataError` unless `output` is `[batch, targets]`: one value per target column.
    static func check(_ output: Tensor, targets: Int, model: any Layer) throws(DataError) {
        guard output.rank != 2 || output.shape[1] != targets else { return }
        throw DataError(
            .inconsistentShape, path: "the model's output",
            reason: "the model gives samples of shape \(Array(output.shape.dropFirst())), but the data has \(targets) target column"
                + "\(targets == 1 ? "" : "s")",
            fix: "end the model with a Dense layer of \(targets) output\(targets == 1 ? "" : "s") (one per target column)")
    }
}
