/// What the target columns of a CSV run (`dataset.target_columns`) hold. The loss decides it
/// (`LossRegistry.targetKind(ofLoss:)`): numbers for a regression loss, 0/1 labels for
/// `binary-cross-entropy-with-logits`. Both travel the same way (`RegressionTargets`): parsed
/// after the features as each row's last values and split off by the trainer, validation,
/// `evaluate` and `predict`.
public enum TargetKind: String, Codable, Sendable {
    /// Numeric targets (a regression): the model's outputs are the values, optionally scaled
    /// (`normalize_targets`); the figures are RMSE, MAE and R².
    case regression
    /// 0/1 labels, any number of which may be 1 in a row (multi-label classification): the model's
    /// outputs are one logit per label, its probability the logistic function of it, and a label
    /// is predicted when that probability is above 0.5. Never scaled; the figures are the
    /// per-label accuracy, the exact-match ratio and micro-F1 (`MultiLabelSums`).
    case multiLabel = "multi-label"
}
