import Checkpoints
import Layers

/// A model built in code as a `Sequential` of layer instances, described as a pipeline file's
/// layer entries (`model.layers`), so that a run's configuration and checkpoints record its
/// architecture and `TrainedModel.load` (and with it `evaluate` and `predict`) rebuilds it with
/// `ModelBuilder` and loads the saved weights by their names:
///
///     let model = Sequential(Flatten(), Dense(inputSize: 784, outputSize: 128, generator: &generator), ReLU(),
///                            Dense(inputSize: 128, outputSize: 10, generator: &generator))
///     var configuration = RunConfiguration()
///     configuration.model.layers = try ModelDescription.entries(of: model, sampleShape: [1, 28, 28], classes: 10)
///
/// Built-in layers describe themselves (`Dense` as `dense` with its units, `Conv2D` as `conv2d`
/// with its filters, kernel, stride and padding, `MaxPool2D`, `AvgPool2D`, `GlobalAvgPool`,
/// `Flatten`, `ReLU`, `Sigmoid`, `Tanh`, `Softmax`, `Dropout` with its probability, `BatchNorm`
/// with its momentum and epsilon); a layer of your own needs one
/// `LayerRegistry.register(_:_:describing:)` call (or `register(_:layer:making:)` for a layer
/// without settings). Initial values are not described (the checkpoint holds the weights), and
/// dense layers made with `useBias: false` cannot be (their entries always have one; a `conv2d`
/// entry takes `"bias": false`).
///
/// A `Sequential` nested in the model is opened into the flat list when that leaves every
/// parameter and buffer name as it was (a nested block without parameters, last or of one
/// layer); otherwise its layers must go straight into the model, or the block be registered as
/// a layer type of its own.
public enum ModelDescription {
    /// The layer entries of `model`, first to last, nested `Sequential`s opened; throws a
    /// `ModelDescriptionError` naming the first layer that cannot be described (its position,
    /// its Swift type and, for a type nobody registered, the registration call to add). Where the
    /// sample shape is known, `entries(of:sampleShape:classes:)` also checks that the entries
    /// rebuild the model tensor for tensor.
    public static func entries(of model: Sequential) throws(ModelDescriptionError) -> [RunConfiguration.LayerEntry] {
        var entries: [RunConfiguration.LayerEntry] = []
        for (position, layer) in try flatLayers(of: model) { entries.append(try entry(of: layer, at: position)) }
        return entries
    }

    /// The layer entries of `model` for samples of `sampleShape` and `classes` classes, checked:
    /// the model takes such samples, and the model `ModelBuilder.build` makes from the entries
    /// has the same parameter and buffer names and shapes, so weights saved from `model` load
    /// into it. (The check builds that model once: as much memory as the parameters take.)
    public static func entries(
        of model: Sequential, sampleShape: [Int], classes: Int
    ) throws(ModelDescriptionError) -> [RunConfiguration.LayerEntry] {
        let entries = try entries(of: model)
        try checkInput(of: model, sampleShape: sampleShape)
        let rebuilt: Sequential
        do {
            rebuilt = try ModelBuilder.build(entries, sampleShape: sampleShape, classes: classes, seed: 0, path: "the model's layer entries")
        } catch {
            throw ModelDescriptionError(
                position: nil, layerType: nil, reason: "its layer entries do not build for samples of shape \(sampleShape): \(error)",
                fix: "make each registered specification build the layer it describes")
        }
        try check(model, against: rebuilt)
        return entries
    }

    /// Throws unless every layer of `model` takes the output of the one before, from samples of
    /// `sampleShape`.
    static func checkInput(of model: Sequential, sampleShape: [Int]) throws(ModelDescriptionError) {
        var shape = sampleShape
        for (position, layer) in try flatLayers(of: model) {
            do { shape = try layer.outputShape(forInputShape: shape) } catch {
                throw ModelDescriptionError(
                    position: position, layerType: typeName(of: layer),
                    reason: "it cannot take input of sample shape \(shape) (the samples are \(sampleShape)): \(error.reason)", fix: error.fix)
            }
        }
    }

    /// Throws unless `rebuilt` (the model `ModelBuilder` made from `model`'s entries) has the
    /// same parameter and buffer names and shapes as `model`, so weights saved from one load
    /// into the other.
    static func check(_ model: Sequential, against rebuilt: Sequential) throws(ModelDescriptionError) {
        guard let difference = firstDifference(model.stateTensors(), rebuilt.stateTensors()) else { return }
        let owner = try flatLayers(of: model).last { difference.name.hasPrefix("\($0.position).") }
        throw ModelDescriptionError(
            position: owner?.position, layerType: owner.map { typeName(of: $0.layer) },
            reason: "the model its layer entries build differs: \(difference.text)",
            fix: "write the model as the entries build it (a Flatten before a Dense that follows image layers), "
                + "and make each registered specification build a layer with the instance's parameters")
    }

    /// The entry of one layer (not a `Sequential`), its specification validated.
    static func entry(of layer: any Layer, at position: String) throws(ModelDescriptionError) -> RunConfiguration.LayerEntry {
        let name = typeName(of: layer)
        guard let describer = LayerRegistry.describer(of: layer) else {
            let type = name.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
            throw ModelDescriptionError(
                position: position, layerType: name, reason: "\(name) is not a registered layer type, so layer entries cannot describe it",
                fix: "register it once, before describing the model: LayerRegistry.register(\"\(type)\", \(name)Specification.self, "
                    + "describing: { (layer: \(name)) in \(name)Specification(...) }) with a LayerSpecification that makes it, "
                    + "or LayerRegistry.register(\"\(type)\", layer: \(name).self, making: { _ in \(name)() }) for a layer without settings")
        }
        do {
            let specification = try describer.describe(layer)
            try specification.validate()
            return RunConfiguration.LayerEntry(type: describer.type, specification: specification)
        } catch {
            let problem = SpecificationError(error)
            throw ModelDescriptionError(
                position: position, layerType: name,
                reason: "as a \(describer.type) entry: \(problem.key.map { "key '\($0)': " } ?? "")\(problem.reason)", fix: problem.fix)
        }
    }

    /// The layers of `model` with their positions (numbered as their parameters are), nested
    /// `Sequential`s opened; throws when opening one renames a parameter or buffer.
    static func flatLayers(of model: Sequential) throws(ModelDescriptionError) -> [(position: String, layer: any Layer)] {
        var flat: [(position: String, layer: any Layer)] = []
        func add(_ sequential: Sequential, at prefix: String) {
            for (index, layer) in sequential.layers.enumerated() {
                let position = prefix.isEmpty ? "\(index)" : "\(prefix).\(index)"
                if let nested = layer as? Sequential { add(nested, at: position) } else { flat.append((position, layer)) }
            }
        }
        add(model, at: "")
        for (index, (position, layer)) in flat.enumerated() where position != "\(index)" {
            let names = layer.stateTensors().map(\.name)
            guard let name = names.first else { continue }
            throw ModelDescriptionError(
                position: position, layerType: typeName(of: layer),
                reason: "its parameter '\(position).\(name)' would be '\(index).\(name)' in the flat list of layer entries "
                    + "(nested Sequentials are opened), so saved weights would not load",
                fix: "put the layers of nested Sequentials straight into the model's Sequential, "
                    + "or register the block as a layer type of its own (LayerRegistry.register(_:_:describing:))")
        }
        return flat
    }

    /// The first tensor whose name or shape differs between `model` and `rebuilt`, in words.
    static func firstDifference(_ model: [NamedTensor], _ rebuilt: [NamedTensor]) -> (name: String, text: String)? {
        for index in 0..<max(model.count, rebuilt.count) {
            let original = index < model.count ? model[index] : nil
            let made = index < rebuilt.count ? rebuilt[index] : nil
            guard original?.name != made?.name || original?.tensor.shape != made?.tensor.shape else { continue }
            let describe = { (tensor: NamedTensor?) in tensor.map { "'\($0.name)' \($0.tensor.shape)" } ?? "nothing" }
            return (original?.name ?? made?.name ?? "", "tensor \(index) is \(describe(original)) in the model, \(describe(made)) rebuilt")
        }
        return nil
    }

    /// The layer's Swift type, as errors name it.
    static func typeName(of layer: any Layer) -> String {
        "\(type(of: layer))"
    }
}
