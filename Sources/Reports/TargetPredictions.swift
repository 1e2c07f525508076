import Tensors
import Training

/// One regression target's validation samples for the report: the true values and the model's
/// predictions (in the target's own units, in sample order) and the figures of this target alone.
public struct TargetPredictions: Sendable, Equatable {
    /// The target column's name.
    public var name: String
    /// The true values.
    public var truth: [Double] = []
    /// The predicted values, one per true value.
    public var predicted: [Double] = []
    /// RMSE, MAE and R² of this target's samples.
    public var figures: RegressionFigures { RegressionFigures(sums) }

    private var sums = RegressionSums()

    /// No samples yet.
    public init(name: String) {
        self.name = name
    }

    /// Adds column `column` of a batch's `targets` and `predictions` (`[rows, columns]`).
    mutating func add(targets: Tensor, predictions: Tensor, column: Int, columns: Int) {
        let rows = targets.shape.first ?? 0
        let truth = targets.scalars
        let predicted = predictions.scalars
        let pairs = (0..<rows).map { (Float(truth[$0 * columns + column]), Float(predicted[$0 * columns + column])) }
        self.truth += pairs.map { Double($0.0) }
        self.predicted += pairs.map { Double($0.1) }
        sums =
            sums
            + RegressionSums(
                predictions: Tensor(shape: [rows, 1], scalars: pairs.map(\.1)), targets: Tensor(shape: [rows, 1], scalars: pairs.map(\.0)))
    }
}
