import DataPipeline
import SystemIO
import TabularFormats

extension Preprocessing {
    /// Takes the configuration's table settings: categorical columns, their given categories
    /// and how empty numeric fields are read.
    mutating func readTables(as dataset: RunConfiguration.Dataset) {
        categoricalColumns = dataset.categoricalColumns
        missingValues = dataset.missing
        guard let given = dataset.categories else { return }
        categories = (dataset.categoricalColumns ?? []).compactMap { column in given[column].map { CSVCategories(column: column, values: $0) } }
    }

    /// Takes what opening the training file worked out: every categorical column's categories
    /// and every numeric column's fill value (saved with the model).
    mutating func adoptTables(of dataset: CSVDataset) {
        if categoricalColumns != nil { categories = dataset.categories }
        fillValues = dataset.fillValues.isEmpty ? nil : dataset.fillValues
    }

    /// The reader's missing-value policy (an error unless `missingValues` says otherwise).
    var missingValuePolicy: MissingValuePolicy {
        switch missingValues ?? .error {
        case .error: return .error
        case .mean: return .mean
        case .zero: return .value(0)
        }
    }

    /// Sets `csv`'s categorical columns, categories, missing-value policy and fill values.
    func applyTables(to csv: inout CSVOptions) {
        csv.categoricalColumns = (categoricalColumns ?? []).map { .name($0) }
        csv.categories = Dictionary((categories ?? []).map { (.name($0.column), $0.values) }, uniquingKeysWith: { first, _ in first })
        csv.missingValues = missingValuePolicy
        csv.fillValues = Dictionary((fillValues ?? []).map { (.name($0.column), $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}

extension TrainingData {
    /// The normalisation a CSV dataset applies to whole rows: `preprocessing.normalization` on
    /// the numeric feature columns, none on one-hot values or the regression targets after them
    /// (those are scaled by the trainer). A list of another length than the numeric columns' is
    /// left to the configuration check that follows the opening of training data
    /// (`RunConfiguration.validate(against:)`), which names its key.
    static func rowNormalization(_ preprocessing: Preprocessing, of dataset: CSVDataset) -> Normalization? {
        guard let normalization = preprocessing.normalization else { return nil }
        return try? dataset.rowNormalization(ofNumericFeatures: normalization, targetCount: preprocessing.targetColumns?.count ?? 0)
    }

    /// Opens a CSV file as `preprocessing` says, normalised; `countingRows` picks the rows whose
    /// categories and values make the categories and mean fills (nil: every row).
    static func csvDataset(
        path: String, preprocessing: Preprocessing, options: CSVOptions, countingRows: ((Int) -> Bool)? = nil
    ) throws(DataError) -> CSVDataset {
        let dataset = try CSVDataset(path: path, options: options, countingRows: countingRows)
        return dataset.normalized(by: rowNormalization(preprocessing, of: dataset))
    }
}
