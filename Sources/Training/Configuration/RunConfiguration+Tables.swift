extension RunConfiguration.Dataset {
    /// `categorical_columns`, `categories` and `missing` are for CSV data; a categorical column
    /// is a feature (not the label, a target or an ignored column), and categories are given only
    /// for categorical columns.
    func checkTableColumns() throws(SpecificationError) {
        let given: [(String, Bool)] = [
            ("categorical_columns", categoricalColumns != nil), ("categories", categories != nil), ("missing", missing != nil),
        ]
        if kind != .csv, let (key, _) = given.first(where: \.1) {
            throw SpecificationError(
                key: key, reason: "\(key) applies to CSV files, but the dataset kind is \(kind.rawValue)", fix: "use kind csv, or remove \(key)")
        }
        let categorical = categoricalColumns ?? []
        for column in categorical {
            let role =
                column == labelColumn
                ? "the label column (label_column)"
                : targetColumns?.contains(column) == true
                    ? "a target column (target_columns)"
                    : ignoreColumns?.contains(column) == true ? "left out of the features (ignore_columns)" : nil
            if let role {
                throw SpecificationError(
                    key: "categorical_columns", reason: "'\(column)' is \(role), so it cannot also be a categorical feature",
                    fix: "remove '\(column)' from categorical_columns or from the other key")
            }
        }
        for column in (categories ?? [:]).keys.sorted() where !categorical.contains(column) {
            throw SpecificationError(
                key: "categories", reason: "categories are given for '\(column)', which is not in categorical_columns",
                fix: "add '\(column)' to categorical_columns, or remove its categories")
        }
    }
}
