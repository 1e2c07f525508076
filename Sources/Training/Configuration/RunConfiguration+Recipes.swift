import Layers
import Optimizers
import Tensors

/// The training recipes of a pipeline file: `label_smoothing` (cross-entropy),
/// `optimizer.no_weight_decay` (parameter groups), `optimizer.gradient_clipping` and the
/// schedule's warm-up and one-cycle keys; their checks and what they make.
extension RunConfiguration {
    /// `optimizer.gradient_clipping`: the gradients' global norm is clipped to `max_norm` before
    /// each update (`GradientClippingCallback`).
    public struct GradientClipping: KeyedSettings, Equatable {
        /// The largest global norm an update may use (required in files).
        @Setting("max_norm", .positive("a positive finite number")) public var maxNorm: Float = 1

        /// A norm of 1 (the placeholder).
        public init() {}
    }

    /// `label_smoothing` only with a cross-entropy loss.
    func checkLabelSmoothing() throws(SpecificationError) {
        guard let labelSmoothing else { return }
        try SpecificationError.require(
            LossRegistry.table.entry(named: loss)?() is CrossEntropyLabelLoss, "label_smoothing", labelSmoothing,
            mustBe: "absent unless the loss is cross-entropy (it is \(loss))", fix: "remove it or use \"loss\": \"cross-entropy\"")
    }

    /// `function` with `label_smoothing` applied (a cross-entropy loss's targets smoothed).
    func applyingLabelSmoothing(to function: any LabelLossFunction) throws(SpecificationError) -> any LabelLossFunction {
        guard let labelSmoothing, labelSmoothing > 0 else { return function }
        try checkLabelSmoothing()
        do {
            return CrossEntropyLabelLoss(try SoftmaxCrossEntropy(labelSmoothing: labelSmoothing))
        } catch {
            throw SpecificationError(key: "label_smoothing", reason: "\(labelSmoothing) is not allowed: it \(error.reason)", fix: error.fix)
        }
    }

    /// The optimizer the `optimizer` section describes, its weight-decay groups (`no_weight_decay`)
    /// picked from `model`'s parameters.
    public func makeOptimizer(for model: any Layer, path: String = "pipeline") throws(RunConfigurationError) -> any Optimizers.Optimizer {
        let made = try makeOptimizer(path: path)
        guard let choices = optimizer.noWeightDecay, !choices.isEmpty else { return made }
        guard let grouping = made as? any WeightDecayGrouping else {
            throw RunConfigurationError(
                path: path, key: "optimizer.no_weight_decay",
                reason: "optimizer \(optimizer.type) keeps no weight-decay groups (it does not conform to WeightDecayGrouping)",
                fix: "remove no_weight_decay, or use sgd, adam or adamw")
        }
        let exemptions = choices.reduce(into: WeightDecayExemptions()) { set, choice in
            switch choice {
            case .bias: set.insert(.biases)
            case .batchnorm: set.insert(.batchNorm)
            }
        }
        grouping.undecayedParameters = exemptions.parameterNames(in: model)
        return made
    }

    /// The callbacks the recipes add on every rank, first among the callbacks: gradient
    /// clipping when `optimizer.gradient_clipping` is given.
    public func makeRecipeCallbacks(path: String = "pipeline") throws(RunConfigurationError) -> [any TrainingCallback] {
        guard let clipping = optimizer.gradientClipping else { return [] }
        do {
            return [try GradientClippingCallback(maxNorm: clipping.maxNorm)]
        } catch {
            throw RunConfigurationError(
                path: path, key: "optimizer.gradient_clipping.max_norm", reason: "\(clipping.maxNorm) is not allowed: it \(error.reason)",
                fix: error.fix)
        }
    }

    /// The learning-rate schedule (nil: constant) for epochs of `batchesPerEpoch` steps: the
    /// schedule's type, after a linear warm-up when one is asked for (a cosine decay then spans
    /// the steps after the warm-up), or one-cycle over the whole run.
    public func makeSchedule(batchesPerEpoch batches: Int, path: String = "pipeline") throws(RunConfigurationError) -> (any LearningRateSchedule)? {
        guard let schedule else { return nil }
        let total = max(1, batches * epochs)
        let warmup = try warmupLength(schedule, batches: batches, total: total, path: path)
        let rate = optimizer.learningRate
        var key = "schedule"
        do {
            let main: (any LearningRateSchedule)?
            switch schedule.type {
            case .constant:
                main = warmup > 0 ? ConstantLearningRate(rate) : nil
            case .step:
                main = try StepDecay(initial: rate, factor: schedule.factor ?? 0.1, interval: max(1, schedule.every ?? batches * 10))
            case .cosine:
                main = try CosineDecay(initial: rate, minimum: schedule.minimum ?? 0, totalSteps: max(1, total - warmup))
            case .oneCycle:
                key = "schedule.warmup_fraction"
                return try OneCycle(
                    maximum: rate, totalSteps: total, warmupFraction: schedule.warmupFraction ?? 0.3, initialDivisor: schedule.initialDivisor ?? 25,
                    finalDivisor: schedule.finalDivisor ?? 1e4)
            }
            guard let main, warmup > 0 else { return main }
            return try LinearWarmup(steps: warmup, then: main)
        } catch {
            throw RunConfigurationError(
                path: path, key: key, reason: "\(error.call): \(error.argument) \(error.reason) (the run has \(total) steps)", fix: error.fix)
        }
    }

    /// The warm-up's steps (0: none); one that does not end before the run is an error naming its key.
    private func warmupLength(_ schedule: Schedule, batches: Int, total: Int, path: String) throws(RunConfigurationError) -> Int {
        let given: (key: String, value: Int, steps: Int)
        if let steps = schedule.warmupSteps {
            given = ("schedule.warmup_steps", steps, steps)
        } else if let warmupEpochs = schedule.warmupEpochs {
            given = ("schedule.warmup_epochs", warmupEpochs, warmupEpochs * batches)
        } else {
            return 0
        }
        guard given.steps < total else {
            throw RunConfigurationError(
                path: path, key: given.key,
                reason: "\(given.value) is not allowed: the warm-up (\(given.steps) steps) must end before the run does "
                    + "(\(total) steps: \(epochs) epoch(s) of \(batches) batch(es))",
                fix: "give a warm-up shorter than the run, or more epochs")
        }
        return given.steps
    }
}

extension RunConfiguration.Optimizer {
    /// `no_weight_decay` only with a weight decay above 0 (the file's, or the kind's default).
    func checkWeightDecayGroups() throws(SpecificationError) {
        guard let choices = noWeightDecay, !choices.isEmpty else { return }
        let decay = weightDecay ?? settings.defaultWeightDecay
        try SpecificationError.require(
            decay > 0, "no_weight_decay", choices.map(\.rawValue), mustBe: "absent without weight decay (\(type)'s weight_decay is \(decay))",
            fix: "give \"weight_decay\" (such as 0.01) or remove no_weight_decay")
    }
}

extension RunConfiguration.Schedule {
    /// One warm-up key at most, and none for one-cycle (its rise is `warmup_fraction`).
    func checkWarmup() throws(SpecificationError) {
        if let steps = warmupSteps, warmupEpochs != nil {
            try SpecificationError.require(
                false, "warmup_epochs", warmupEpochs ?? 0, mustBe: "absent when warmup_steps (\(steps)) is given",
                fix: "give warmup_steps or warmup_epochs, not both")
        }
        for (key, value) in [("warmup_steps", warmupSteps), ("warmup_epochs", warmupEpochs)] {
            guard let value, type == .oneCycle else { continue }
            try SpecificationError.require(
                false, key, value, mustBe: "absent for one-cycle, which rises over warmup_fraction of the run",
                fix: "remove it, or give \"warmup_fraction\" (default 0.3)")
        }
    }

    /// A cosine decay to `minimum` over the run (after the warm-up, when one is given).
    public static func cosine(minimum: Float? = nil, warmupSteps: Int? = nil, warmupEpochs: Int? = nil) -> Self {
        Self {
            $0.type = .cosine
            $0.minimum = minimum
            $0.warmupSteps = warmupSteps
            $0.warmupEpochs = warmupEpochs
        }
    }

    /// One-cycle up to the optimizer's rate and down (PyTorch's `OneCycleLR` defaults unless given).
    public static func oneCycle(warmupFraction: Double? = nil, initialDivisor: Double? = nil, finalDivisor: Double? = nil) -> Self {
        Self {
            $0.type = .oneCycle
            $0.warmupFraction = warmupFraction
            $0.initialDivisor = initialDivisor
            $0.finalDivisor = finalDivisor
        }
    }
}
