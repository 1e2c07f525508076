extension SettingRule where Value == String {
    /// A run name (`RunConfiguration.checkName(_:)`).
    static var runName: SettingRule {
        SettingRule { name, _ throws(SpecificationError) in try RunConfiguration.checkName(name) }
    }
}

extension RunConfiguration {
    /// Checks every value that needs no data (run when a file is decoded, and again with the data).
    public func validate(path: String = "pipeline") throws(RunConfigurationError) {
        do {
            try validateSettings()
            try checkEarlyStopping()
            try checkLossKind()
            try checkRegressionMetrics()
            try checkLabelSmoothing()
        } catch { throw RunConfigurationError(path: path, error) }
    }

    /// A run name becomes a folder name (`runs/<name>`): it may not be empty, name a parent
    /// (`..`), hold a slash, or hold NUL or other control characters.
    static func checkName(_ name: String) throws(SpecificationError) {
        let problem: String? =
            if name.isEmpty { "it is empty" } else if name.contains("/") { "it holds a '/'" } else if name.contains("..") {
                "it holds '..'"
            } else if name == "." { "it is '.'" } else if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                "it holds a control character"
            } else { nil }
        guard let problem else { return }
        throw SpecificationError(
            key: "name", reason: "\(String(reflecting: name)) is not allowed as a run name: \(problem) (the run directory is runs/<name>)",
            fix: "use letters, digits, '-', '_' or '.', such as \"digits-mlp\"")
    }

    /// Checks the configuration against the data it will train on: everything `validate(path:)`
    /// checks, then normalisation lengths against the channels, the model's shapes (each layer
    /// fits its input; the output is one vector per sample as wide as the loss needs) and that
    /// batch normalisation never sees a batch of one sample. Returns the model it built for the
    /// check (the network `makeModel(for:path:)` gives, with the same weights). The data checks
    /// (augmentations and crops that fit the images, validation samples of the training shape)
    /// run before the model is built, and the parameters are counted against `memoryLimit`
    /// bytes (default: `MemoryAvailable.current()`) before they are allocated.
    @discardableResult
    public func validate(against data: DataSummary, path: String = "pipeline", memoryLimit: Int? = nil) throws(RunConfigurationError)
        -> ModelBuilder.Assembly
    {
        try validate(path: path)
        let classes = max(data.classCount, 1)
        do { try checkData(data) } catch { throw RunConfigurationError(path: path, error) }
        let assembly = try ModelBuilder.assemble(
            model.layers, sampleShape: data.sampleShape, classes: classes, seed: seed, path: path, memoryLimit: memoryLimit)
        do {
            try checkNormalization(groups: data.normalizationGroups)
            try checkOutput(assembly.outputShape, classes: classes)
            try checkBatchNormalization(assembly.inputShapes, samples: data.sampleCount)
        } catch {
            throw RunConfigurationError(path: path, error)
        }
        return assembly
    }

    private func checkNormalization(groups: Int) throws(SpecificationError) {
        for (index, augmentation) in (pipeline.augmentations ?? []).enumerated() {
            guard let normalize = augmentation.normalize else { continue }
            let rule = groups == 1 ? "1 value (the data has 1 channel)" : "1 value or one per channel (\(groups))"
            try SpecificationError.require(
                [1, groups].contains(normalize.mean.count), "pipeline.augmentations[\(index)].normalize.mean",
                normalize.mean, mustBe: rule)
        }
    }

    private func checkOutput(_ shape: [Int], classes: Int) throws(SpecificationError) {
        guard shape.count == 1 else {
            throw SpecificationError(
                key: "model.layers", reason: "the model's output per sample has shape \(shape), but the loss \(loss) needs one vector per sample",
                fix: "end the model with a dense layer (or flatten or global-avgpool)")
        }
        guard let function = LossRegistry.table.entry(named: loss)?(), let problem = function.outputWidthProblem(width: shape[0], classes: classes)
        else { return }
        if let index = model.layers.lastIndex(where: { $0.specification is DenseSpecification }),
            let units = (model.layers[index].specification as? DenseSpecification)?.units, units == shape[0]
        {
            throw SpecificationError(
                key: "model.layers[\(index)].units", reason: "\(units) is not allowed: the data has \(classes) classes and \(problem)",
                fix: "give the last dense layer \(classes) units, or leave units out to get the class count")
        }
        throw SpecificationError(
            key: "model.layers", reason: "the model gives \(shape[0]) outputs per sample, but the data has \(classes) classes and \(problem)",
            fix: "end the model with a dense layer without units (it gets the class count)")
    }

    private func checkBatchNormalization(_ inputShapes: [[Int]], samples: Int) throws(SpecificationError) {
        let size = pipeline.batchSize == 0 ? samples : pipeline.batchSize
        guard samples > 0, size == 1 || samples % size == 1 else { return }
        for (index, entry) in model.layers.enumerated() where entry.specification is BatchNormSpecification && inputShapes[index].count == 1 {
            let better = stride(from: size + 1, through: samples + 1, by: 1).first { samples % $0 != 1 } ?? size + 1
            throw SpecificationError(
                key: "pipeline.batch_size",
                reason: "\(pipeline.batchSize) is not allowed: with \(samples) training samples it leaves a batch of 1 sample, "
                    + "which batchnorm (model.layers[\(index)]) cannot normalise",
                fix: "use a batch size that leaves no single sample over, such as \(better)")
        }
    }
}
