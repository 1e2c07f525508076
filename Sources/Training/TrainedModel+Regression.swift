import Layers
import SystemIO
import Tensors

extension TrainedModel {
    /// The regression targets the model was trained on (nil for a classifier).
    public var regression: RegressionTargets? { preprocessing.regressionTargets }

    /// A regression model's predictions in the targets' own units (`[rows, targets]`) for rows as
    /// `predictionInputs(_:)` reads them from a CSV file (features, then the targets, which are
    /// left out), with the target normalisation undone.
    public func predictedValues(_ rows: Tensor) throws -> Tensor {
        guard let regression else {
            throw DataError(.invalidOption, path: checkpoint.path, reason: "the model is a classifier", fix: "use probabilities(_:)")
        }
        let output = try model.checkedOutput(for: regression.split(rows).inputs)
        try ModelOutputCheck.check(output, targets: regression.count, model: model)
        return regression.originalUnits(output)
    }

    /// A regression model's loss function (mean-squared-error unless the run named another).
    public func regressionLoss() throws -> any RegressionLossFunction {
        try configuration.makeLoss(path: checkpoint.path).function as? any RegressionLossFunction ?? MeanSquaredErrorLoss()
    }
}
