import Layers
import SystemIO
import TabularFormats
import Tensors

extension TrainedModel {
    /// The regression or multi-label targets the model was trained on (nil for a classifier).
    public var regression: RegressionTargets? { preprocessing.regressionTargets }

    /// A regression model's predictions in the targets' own units (`[rows, targets]`), with the
    /// target normalisation undone, or a multi-label model's probabilities (the logistic function
    /// of each output; a label is predicted above 0.5), for rows as `predictionInputs(_:)` reads
    /// them from a CSV file (the features), or rows as training reads them (the features, then the
    /// targets, which are left out).
    public func predictedValues(_ rows: Tensor) throws -> Tensor {
        guard let regression else {
            throw DataError(.invalidOption, path: checkpoint.path, reason: "the model is a classifier", fix: "use probabilities(_:)")
        }
        let width = rows.shape.count > 1 ? rows.shape[1] : 0
        let inputs = width == (sampleShape.first ?? 0) + regression.count ? regression.split(rows).inputs : rows
        let output = try model.checkedOutput(for: inputs)
        try ModelOutputCheck.check(output, targets: regression.count, model: model)
        return regression.predictions(output)
    }

    /// A regression or multi-label model's loss function (mean-squared-error unless the run named another).
    public func regressionLoss() throws -> any RegressionLossFunction {
        try configuration.makeLoss(path: checkpoint.path).function as? any RegressionLossFunction ?? MeanSquaredErrorLoss()
    }

    /// A CSV file's rows for a regression model to predict on: the feature columns as training
    /// read them (the same ignored columns and feature normalisation), each target column left
    /// out whether the file has it or not. A file whose other columns differ from the training
    /// file's is refused, naming both.
    func regressionPredictionInputs(_ path: String) throws -> (features: Tensor, origins: [String]) {
        let targets = preprocessing.targetColumns ?? []
        var options = TrainingData.csvOptions(readingPreprocessing, options: TrainingData.ReadOptions())
        options.targetColumns = []
        options.labelColumn = nil
        options.labelMapping = .numeric
        options.checksClasses = false
        // The header alone says which target columns the file has.
        var header = options
        header.ignoredColumns = []
        let columns = try CSVReader(path: path, options: header).columnNames
        let present = targets.filter { columns.contains($0) }
        options.ignoredColumns += present.map { .name($0) }
        var features = readingPreprocessing
        features.targetColumns = nil  // the targets are left out of these rows
        let table = try TrainingData.csvDataset(path: path, preprocessing: features, options: options)
        guard table.sampleShape == sampleShape else {
            let missing = targets.filter { !present.contains($0) }
            throw DataError(
                .inconsistentShape, path: path,
                reason: "the file has \(table.sampleShape.first ?? 0) feature columns (\(Self.listed(table.featureNames))) once its target "
                    + "columns\(missing.isEmpty ? "" : " (\(missing.joined(separator: ", ")) missing)") and the run's ignored columns are "
                    + "left out, but the model takes \(sampleShape.first ?? 0)",
                fix: "give a CSV file with the training file's feature columns; the target columns (\(targets.joined(separator: ", "))) "
                    + "may be left out")
        }
        return try TrainedModel.rows(of: table)
    }

    /// Up to eight names, comma-separated.
    private static func listed(_ names: [String]) -> String {
        names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", ..." : "")
    }
}
