extension RunConfiguration.Dataset {
    /// Whether the data has numeric targets (`target_columns`) rather than class labels.
    public var isRegression: Bool { targetColumns != nil }

    /// `target_columns` only for CSV data, and not with `label_column`, `labels` or `normalize_targets` alone.
    func checkTargets() throws(SpecificationError) {
        guard targetColumns != nil else {
            if normalizeTargets != nil {
                throw SpecificationError(
                    key: "normalize_targets", reason: "it applies to target_columns, which are not given", fix: "remove normalize_targets")
            }
            return
        }
        if kind != .csv {
            throw SpecificationError(
                key: "target_columns", reason: "target columns are read from CSV files, but the dataset kind is \(kind.rawValue)",
                fix: "use kind csv, or remove target_columns")
        }
        if labelColumn != nil {
            throw SpecificationError(
                key: "target_columns",
                reason: "target_columns (regression targets) and label_column (class labels) cannot both be given",
                fix: "remove label_column to train a regression, or target_columns to train a classifier")
        }
        if labels != nil {
            throw SpecificationError(
                key: "target_columns", reason: "target_columns (regression targets) and labels (how class labels are read) cannot both be given",
                fix: "remove labels")
        }
    }
}

extension RunConfiguration {
    /// A regression loss needs `target_columns`, and `target_columns` need a regression loss.
    func checkLossKind() throws(SpecificationError) {
        guard LossRegistry.table.entry(named: loss) != nil else { return }
        let regressionLoss = LossRegistry.isRegression(loss)
        if regressionLoss && !dataset.isRegression {
            throw SpecificationError(
                key: "loss",
                reason: "\(loss) is a regression loss, but the \(dataset.kind.rawValue) dataset has class labels (no dataset.target_columns)",
                fix: "use cross-entropy for class labels, or give dataset.target_columns")
        }
        if !regressionLoss && dataset.isRegression {
            throw SpecificationError(
                key: "loss",
                reason:
                    "\(loss) is a loss for class labels, but the \(dataset.kind.rawValue) dataset has regression targets "
                    + "(dataset.target_columns)",
                fix: "use mean-squared-error, mean-absolute-error or huber")
        }
    }

    /// A regression has no accuracy to rank checkpoints by or to watch (it would be 0 every
    /// epoch): `checkpoint.metric` and `early_stopping.metric` must be a loss.
    func checkRegressionMetrics() throws(SpecificationError) {
        guard dataset.isRegression else { return }
        for (key, metric) in [("checkpoint.metric", checkpoint?.metric), ("early_stopping.metric", earlyStopping?.metric)] {
            guard let metric, metric.isMaximized else { continue }
            throw SpecificationError(
                key: key, reason: "\(metric.rawValue) is a classifier's figure, but the dataset has regression targets (dataset.target_columns)",
                fix: "use validation_loss (the default with validation data) or loss")
        }
    }
}
