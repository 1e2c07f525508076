import DataPipeline
import Layers
import Tensors

extension Trainer {
    /// How one layer's backward pass runs over this rank's units.
    enum UnitBackward {
        /// One pullback per unit.
        case perUnit([Layers.Pullback])
        /// One pullback over all of the rank's chunks, synchronised with the other ranks (batch normalisation).
        case synchronized(SynchronizedBatchNorm.Pullback)
    }

    /// One optimisation step over a global batch of which `batch` is this rank's slice (the whole
    /// batch in a plain run). Returns the global batch's mean loss, computed before the update,
    /// and its number of correct predictions.
    ///
    /// The global batch is cut into gradient chunks (`chunkSize`, by default
    /// `DataParallel.defaultChunkSize`), the chunks are dealt to ranks, and each rank's chunks form
    /// a few whole nodes of the fixed `ChunkTree` (its claims; one for a plain run, and for rank
    /// counts that divide the chunk count in powers of two). Each claim runs forward and backward
    /// as one batch whose layers keep to the chunks (`ForwardContext.chunkSize`): so the claim's
    /// gradient is its node's tree sum, every loss gradient is its chunk's mean loss gradient
    /// weighted by chunk/global size, and dropout draws from (seed, step, chunk). A model with a
    /// layer that does not keep to chunks runs chunk by chunk instead. Batch normalisation uses the
    /// global batch's statistics (`SynchronizedBatchNorm`), so the forward pass runs layer by layer
    /// (nested `Sequential`s opened). The exchange then combines every rank's claims up the same
    /// tree, so the weights are the same bits for a plain run and for any number of ranks.
    public func step(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        guard batch.globalCount > 0 else { return (0, 0) }  // every rank sees the same empty global batch
        let communicator = exchange.communicator
        let plan = ChunkPlan(
            sampleCount: batch.globalCount, chunkSize: chunkSize ?? DataParallel.defaultChunkSize(batchSize: batch.globalCount),
            rankCount: communicator.rankCount)
        let tree = ChunkTree(chunkCount: plan.chunkCount)
        let claims = tree.claims(owning: plan.chunks(ofRank: communicator.rank))
        let layers = Trainer.leafLayers(of: model)
        let whole = layers.allSatisfy { $0 is BatchNorm || $0.keepsToGradientChunks }
        let units = whole ? claims : claims.flatMap { claim in tree.chunks(under: claim).map { ChunkTree.Node(level: 0, index: $0) } }
        let split = UnitSplit(plan: plan, chunks: units.map { tree.chunks(under: $0) }, sliceStart: batch.sliceStart)
        let parameters = layers.flatMap { $0.namedParameters.map(\.parameter) }  // the model's visiting order
        let parameterCount = parameters.reduce(0) { $0 + $1.value.count }
        var generators = split.chunks.map { $0.map { RandomGenerator(seed: seed, stream: [1, UInt64(stepCount), UInt64($0)]) } }
        // For layers that draw from `context.generator` (not per chunk): one stream per unit, so
        // a resumed run draws the same; such a layer's bits depend on the rank count.
        var unitGenerators = split.chunks.map { RandomGenerator(seed: seed, stream: [2, UInt64(stepCount), UInt64($0.lowerBound)]) }
        var activations = split.rows.map { batch.features.rows($0) }
        var backwards: [UnitBackward] = []
        context.chunkSize = plan.chunkSize
        defer {
            context.chunkSize = nil
            context.chunkGenerators = []
        }
        for (index, layer) in layers.enumerated() {
            context.requiresInputGradient = index > 0  // nothing uses the gradient with respect to the data
            if let norm = layer as? BatchNorm {
                let synchronized = SynchronizedBatchNorm(layer: norm, plan: plan, communicator: communicator)
                let (outputs, pullback) = try synchronized.forward(activations, chunkRows: split.chunkRows)
                activations = outputs
                backwards.append(.synchronized(pullback))
                continue
            }
            var pullbacks: [Layers.Pullback] = []
            for unit in activations.indices {
                context.chunkGenerators = generators[unit]
                context.generator = unitGenerators[unit]
                let (output, pullback) = layer.forward(activations[unit], context: context)
                generators[unit] = context.chunkGenerators
                unitGenerators[unit] = context.generator
                activations[unit] = output
                pullbacks.append(pullback)
            }
            backwards.append(.perUnit(pullbacks))
        }
        let (figures, lossGradients) = chunkLosses(activations, batch: batch, split: split)
        activations = []
        // A plain run's one claim needs no exchange: the backward pass leaves its gradient in the parameters.
        let direct = units.count == 1 && communicator.rankCount == 1 && claims == units
        try backward(
            backwards, layers: layers, upstream: lossGradients, step: StepLayout(plan: plan, tree: tree, claims: claims, units: units, split: split),
            direct: direct)
        if !direct {
            Trainer.unflatten(try exchange.finish(parameterCount: parameterCount), into: parameters)
        }
        optimizer.step(model)
        return try globalFigures(figures, plan: plan)
    }

    /// Each chunk's (loss sum, correct) and each unit's loss gradient: every chunk's mean loss
    /// gradient weighted by chunk/global batch size (as a chunk computed on its own would have it).
    private func chunkLosses(_ outputs: [Tensor], batch: Batch, split: UnitSplit) -> (figures: [Double], gradients: [Tensor]) {
        let globalCount = Float(max(split.plan.sampleCount, 1))
        var figures: [Double] = []
        var gradients: [Tensor] = []
        for (unit, output) in outputs.enumerated() {
            var parts: [Tensor] = []
            for chunk in split.chunks[unit] {
                let within = split.rows(ofChunk: chunk, inUnit: unit)
                let start = split.rows[unit].lowerBound
                let labels = Array(batch.labels[(start + within.lowerBound)..<(start + within.upperBound)])
                let chunkOutput = output.rows(within)
                let (value, lossGradient) = loss.evaluate(chunkOutput, target: labels)
                parts.append(lossGradient * (Float(labels.count) / globalCount))
                figures += [Double(value) * Double(labels.count), Double(loss.correctCount(chunkOutput, labels: labels))]
            }
            gradients.append(Tensor.concatenatingRows(parts))
        }
        return (figures, gradients)
    }

    /// Runs the backward passes layer by layer from the last. After each layer with parameters,
    /// its slice of every claim's gradient (its node's tree sum) goes to the exchange as one
    /// bucket, which may run while the earlier layers' backward passes do; with `direct`, the
    /// gradients stay in the parameters instead.
    private func backward(_ backwards: [UnitBackward], layers: [any Layer], upstream: [Tensor], step: StepLayout, direct: Bool) throws {
        var upstream = upstream
        var offset = layers.reduce(0) { $0 + $1.parameterCount }
        let unitIndex = [ChunkTree.Node: Int](uniqueKeysWithValues: step.units.enumerated().map { ($1, $0) })
        for (layer, backward) in zip(layers, backwards).reversed() {
            let layerParameters = layer.namedParameters.map(\.parameter)
            let width = layerParameters.reduce(0) { $0 + $1.value.count }
            offset -= width
            var unitValues: [[Float]] = []
            switch backward {
            case .perUnit(let pullbacks):
                for unit in upstream.indices {
                    if width > 0 { layer.zeroGradients() }
                    var gradient = Tensor(shape: [0])
                    swap(&gradient, &upstream[unit])
                    upstream[unit] = pullbacks[unit](consume gradient)
                    if width > 0 && !direct { unitValues.append(Trainer.flatten(layerParameters, count: width)) }
                }
            case .synchronized(let pullback):
                let (inputGradients, parameterGradients) = try pullback(upstream)
                upstream = inputGradients
                let firstChunk = step.split.chunks.first?.lowerBound ?? 0
                unitValues = step.units.map { unit in step.tree.value(of: unit, leaf: { parameterGradients[$0 - firstChunk] }) }
                if direct, let value = unitValues.first { Trainer.unflatten(value, into: layerParameters) }
            }
            guard width > 0, !direct else { continue }
            let claimValues = step.claims.map { claim in
                step.tree.value(
                    of: claim, known: { unitIndex[$0].map { unitValues[$0] } },
                    leaf: { preconditionFailure("step: chunk \($0) of claim \(claim) was computed by no unit") })
            }
            try exchange.begin(bucket: offset..<(offset + width), claimValues: claimValues, plan: step.plan)
            try exchange.progress()
        }
    }

    /// The layers of `model` in the order they apply, nested `Sequential`s opened.
    static func leafLayers(of model: any Layer) -> [any Layer] {
        guard let sequential = model as? Sequential else { return [model] }
        return sequential.layers.flatMap(leafLayers(of:))
    }
}

/// How a step's global batch is cut: its chunk plan and tree, this rank's claims and units.
struct StepLayout {
    let plan: ChunkPlan
    let tree: ChunkTree
    let claims: [ChunkTree.Node]
    let units: [ChunkTree.Node]
    let split: UnitSplit
}

/// This rank's units of a step (runs of consecutive chunks) and where their rows lie.
struct UnitSplit {
    /// The global batch's chunks.
    let plan: ChunkPlan
    /// Each unit's chunks (global chunk numbers), in order; together this rank's chunks.
    let chunks: [Range<Int>]
    /// Each unit's rows within this rank's slice.
    let rows: [Range<Int>]

    init(plan: ChunkPlan, chunks: [Range<Int>], sliceStart: Int) {
        self.plan = plan
        self.chunks = chunks
        rows = chunks.map { run in
            let samples = plan.samples(ofChunks: run)
            return (samples.lowerBound - sliceStart)..<(samples.upperBound - sliceStart)
        }
    }

    /// The rows of `chunk` within unit `unit`'s tensors.
    func rows(ofChunk chunk: Int, inUnit unit: Int) -> Range<Int> {
        let samples = plan.samples(ofChunk: chunk)
        let start = plan.samples(ofChunks: chunks[unit]).lowerBound
        return (samples.lowerBound - start)..<(samples.upperBound - start)
    }

    /// Each unit's chunks as row ranges of the unit's tensors.
    var chunkRows: [[Range<Int>]] {
        chunks.indices.map { unit in chunks[unit].map { rows(ofChunk: $0, inUnit: unit) } }
    }
}
