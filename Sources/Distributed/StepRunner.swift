import Layers
import Tensors

/// Runs a model over this rank's units of one training step (`StepLayout`), opening containers
/// (`LayerContainer`, `Sequential` included) and dispatching each leaf as the step runs it: a
/// `BatchNorm` through `SynchronizedBatchNorm` (the global batch's statistics), a leaf that does
/// not keep to gradient chunks through `ChunkwiseLayer`, any other leaf once per unit (its
/// gradient the unit's tree sum, dropout drawing from (seed, step, chunk)). Each leaf's backward
/// pass hands its slice of every claim's gradient to the exchange as one bucket (which may run
/// while earlier leaves' backward passes do), or with `direct` leaves it in the parameters.
/// Each leaf is checked against its input's sample shape before it runs
/// (`Layer.checkInputShape(_:at:sampleShape:)`, named by its path in `ParameterLayout.paths`).
package final class StepRunner: UnitRunner {
    private let layout: ParameterLayout
    private let step: StepLayout
    private let context: ForwardContext
    private let communicator: any Communicator
    private let exchange: any GradientExchange
    private let direct: Bool
    /// The data's sample shape, for shape errors.
    private let sampleShape: [Int]
    private var generators: StepGenerators
    /// Whether the next leaf's input gradient is used: not for the first leaf (the data's). A leaf
    /// that cannot skip it (`Layer.canSkipInputGradient`) is asked for it anyway.
    private var inputGradientNeeded = false
    /// The leaves with parameters that have run this step.
    private var ran = Set<Int>()
    /// The types of the containers open now, outermost first.
    private var openContainers: [any Layer.Type] = []

    /// How one leaf's backward pass runs over the units.
    private enum LeafBackward {
        /// One pullback per unit (nil for a unit whose samples were all left out); each leaves the
        /// unit's parameter gradient (its node's tree sum) in the layer's parameters.
        case perUnit([Layers.Pullback?])
        /// One pullback over all units, returning their input gradients and each unit's parameter gradient.
        case allUnits(([Tensor?]) throws -> (inputGradients: [Tensor?], unitGradients: [[Float]]))
    }

    /// A runner for one step of `layout`'s model; `direct`: one claim on one rank, no exchange;
    /// `sampleShape`: the data's, named in shape errors.
    package init(
        layout: ParameterLayout, step: StepLayout, context: ForwardContext, generators: StepGenerators,
        communicator: any Communicator, exchange: any GradientExchange, direct: Bool, sampleShape: [Int]
    ) {
        self.layout = layout
        self.step = step
        self.context = context
        self.generators = generators
        self.communicator = communicator
        self.exchange = exchange
        self.direct = direct
        self.sampleShape = sampleShape
    }

    /// Runs `layer`: opens a container, else checks the leaf's input shape and runs it.
    package func run(_ layer: any Layer, units: [Tensor?]) throws -> (outputs: [Tensor?], backward: UnitBackward) {
        if let container = layer as? any LayerContainer {
            // A container other than a chain may use its input twice (a shortcut): every layer inside returns its input gradient.
            if !(container is Sequential) { inputGradientNeeded = true }
            openContainers.append(type(of: container))  // a name is made only for an error
            defer { openContainers.removeLast() }
            return try container.forward(units: units, runner: self)
        }
        guard let index = layout.leafIndex[ObjectIdentifier(layer)] else {
            throw ModelStructureError.unlistedLayer(container: openContainers.last.map { "\($0)" } ?? "the model", layer: "\(type(of: layer))")
        }
        if layout.widths[index] > 0 {
            guard ran.insert(index).inserted else { throw ModelStructureError.layerRunTwice(layer: "\(type(of: layer))") }
        }
        if let input = units.first(where: { $0 != nil }) ?? nil {
            try layer.checkInputShape(Array(input.shape.dropFirst()), at: layout.paths[index], sampleShape: sampleShape)
        }
        context.requireInputGradient(inputGradientNeeded, for: layer)
        inputGradientNeeded = true
        context.normalizedWithinChunks = false
        let (outputs, backward) = try forward(leaf: index, units: units)
        if context.normalizedWithinChunks {
            throw ModelStructureError.batchNormInsideOpaqueLayer(layer: "\(type(of: layer))", position: index)
        }
        return (outputs, { [self] gradients in try self.backward(leaf: index, backward, upstream: consume gradients) })
    }

    /// Zeroes the gradients of the leaves with parameters that did not run (a direct step leaves
    /// the others' gradients in their parameters).
    package func zeroGradientsOfIdleLeaves() {
        for index in layout.layers.indices where layout.widths[index] > 0 && !ran.contains(index) {
            layout.layers[index].zeroGradients()
        }
    }

    private func forward(leaf index: Int, units: [Tensor?]) throws -> (outputs: [Tensor?], backward: LeafBackward) {
        let layer = layout.layers[index]
        let split = step.split
        if let norm = layer as? BatchNorm {
            let synchronized = SynchronizedBatchNorm(layer: norm, plan: step.plan, communicator: communicator)
            let (outputs, pullback) = try synchronized.forward(units, chunkRows: split.chunkRows)
            return (
                outputs,
                .allUnits { [step] gradients in
                    let (inputGradients, chunkGradients) = try pullback(gradients)
                    let firstChunk = split.chunks.first?.lowerBound ?? 0
                    let unitGradients = step.claims.map { step.tree.value(of: $0, leaf: { chunkGradients[$0 - firstChunk] }) }
                    return (inputGradients, unitGradients)
                }
            )
        }
        if layout.runsChunkByChunk[index] {
            let chunkwise = ChunkwiseLayer(layer: layer, parameters: layout.layerParameters[index], step: step)
            let (outputs, pullback) = chunkwise.forward(units, context: context, generators: &generators)
            return (outputs, .allUnits(pullback))
        }
        var outputs = units
        var pullbacks: [Layers.Pullback?] = []
        for unit in outputs.indices {
            guard let input = outputs[unit] else {
                pullbacks.append(nil)
                continue
            }
            context.chunkRows = split.chunkRows[unit]
            context.chunkGenerators = generators.chunk[unit]
            context.generator = generators.context[unit][0]
            let (output, pullback) = layer.forward(input, context: context)
            generators.chunk[unit] = context.chunkGenerators
            generators.context[unit][0] = context.generator
            outputs[unit] = output
            pullbacks.append(pullback)
        }
        return (outputs, .perUnit(pullbacks))
    }

    /// Runs leaf `index`'s backward pass and hands its gradient to the exchange.
    private func backward(leaf index: Int, _ backward: LeafBackward, upstream: consuming [Tensor?]) throws -> [Tensor?] {
        let layer = layout.layers[index]
        let width = layout.widths[index]
        var upstream = upstream  // owned: the caller gave its array up, so each gradient below is unique
        var unitGradients: [[Float]] = []
        switch backward {
        case .perUnit(let pullbacks):
            for unit in upstream.indices {
                if width > 0 { layer.zeroGradients() }
                if let pullback = pullbacks[unit], let gradient = upstream[unit] {
                    upstream[unit] = nil
                    upstream[unit] = pullback(consume gradient)
                }
                if width > 0 && !direct { unitGradients.append(GradientVector.flatten(layout.layerParameters[index], count: width)) }
            }
        case .allUnits(let pullback):
            (upstream, unitGradients) = try pullback(upstream)
            if direct, let gradient = unitGradients.first { GradientVector.unflatten(gradient, into: layout.layerParameters[index]) }
        }
        guard width > 0, !direct else { return upstream }
        let offset = layout.offsets[index]
        try exchange.begin(bucket: offset..<(offset + width), claimValues: unitGradients, plan: step.plan)
        try exchange.progress()
        return upstream
    }
}
