extension RunConfiguration.Dataset {
    /// Whether the data has target columns (`target_columns`: numbers, or 0/1 labels with
    /// `binary-cross-entropy-with-logits`) rather than a label column; `RunConfiguration.targetKind` says which.
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
    /// What the target columns hold (nil: class labels): 0/1 labels with
    /// `binary-cross-entropy-with-logits`, else numbers (a regression).
    public var targetKind: TargetKind? {
        dataset.targetColumns == nil ? nil : LossRegistry.targetKind(ofLoss: loss) ?? .regression
    }

    /// A loss for target columns needs `target_columns`, and `target_columns` need such a loss;
    /// 0/1 labels are never scaled (`normalize_targets` is refused with them).
    func checkLossKind() throws(SpecificationError) {
        guard LossRegistry.table.entry(named: loss) != nil else { return }
        let kind = LossRegistry.targetKind(ofLoss: loss)
        if let kind, !dataset.isRegression {
            let what = kind == .multiLabel ? "a multi-label loss (0/1 target columns)" : "a regression loss"
            throw SpecificationError(
                key: "loss",
                reason: "\(loss) is \(what), but the \(dataset.kind.rawValue) dataset has class labels (no dataset.target_columns)",
                fix: "use cross-entropy for class labels, or give dataset.target_columns"
                    + (kind == .multiLabel ? " (the 0/1 label columns of a CSV file)" : ""))
        }
        if kind == nil && dataset.isRegression {
            throw SpecificationError(
                key: "loss",
                reason:
                    "\(loss) is a loss for class labels, but the \(dataset.kind.rawValue) dataset has target columns "
                    + "(dataset.target_columns)",
                fix: "use mean-squared-error, mean-absolute-error or huber for numeric targets, or binary-cross-entropy-with-logits for 0/1 labels")
        }
        if kind == .multiLabel, let normalize = dataset.normalizeTargets {
            throw SpecificationError(
                key: "dataset.normalize_targets",
                reason: "\(normalize) is not allowed: the loss \(loss) takes 0/1 labels, which are never scaled",
                fix: "remove normalize_targets")
        }
    }

    /// A regression has no accuracy to rank checkpoints by or to watch (it would be 0 every
    /// epoch): `checkpoint.metric` and `early_stopping.metric` must be a loss. (A multi-label
    /// run's accuracy is the share of labels predicted right: allowed.)
    func checkRegressionMetrics() throws(SpecificationError) {
        guard targetKind == .regression else { return }
        for (key, metric) in [("checkpoint.metric", checkpoint?.metric), ("early_stopping.metric", earlyStopping?.metric)] {
            guard let metric, metric.isMaximized else { continue }
            throw SpecificationError(
                key: key, reason: "\(metric.rawValue) is a classifier's figure, but the dataset has regression targets (dataset.target_columns)",
                fix: "use validation_loss (the default with validation data) or loss")
        }
    }
}
