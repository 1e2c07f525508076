import DataPipeline
import Layers
import Tensors

extension Trainer {
    /// How one layer's backward pass runs over this rank's chunks.
    enum ChunkBackward {
        /// One pullback per chunk, each on its own.
        case perChunk([Layers.Pullback])
        /// One pullback over all chunks, synchronised with the other ranks (batch normalisation).
        case synchronized(SynchronizedBatchNorm.Pullback)
    }

    /// The chunked step of a model with batch normalisation: the forward pass runs layer by
    /// layer over all of this rank's chunks (rather than chunk by chunk through the network),
    /// so that each `BatchNorm` normalises with the statistics of the whole global batch
    /// (`SynchronizedBatchNorm`); the backward pass runs back the same way. Each chunk keeps
    /// its own parameter gradient (weighted by chunk/global batch size), and the exchange sums
    /// them in the fixed tree order, so the bits are the same on any number of ranks.
    public func synchronizedStep(_ batch: Batch) throws -> (loss: Float, correct: Int) {
        let communicator = exchange.communicator
        let plan = ChunkPlan(sampleCount: batch.globalCount, chunkSize: chunkSize ?? batch.globalCount, rankCount: communicator.rankCount)
        let owned = plan.chunks(ofRank: communicator.rank)
        let rows = owned.map { chunk in
            let samples = plan.samples(ofChunk: chunk)
            return (samples.lowerBound - batch.sliceStart)..<(samples.upperBound - batch.sliceStart)
        }
        let layers = Trainer.leafLayers(of: model)
        let parameters = layers.flatMap { $0.namedParameters.map(\.parameter) }  // the model's visiting order
        let parameterCount = parameters.reduce(0) { $0 + $1.value.count }
        var generators = owned.map { RandomGenerator(seed: seed, stream: [1, UInt64(stepCount), UInt64($0)]) }
        var activations = rows.map { batch.features.rows($0) }
        var backwards: [ChunkBackward] = []
        for (index, layer) in layers.enumerated() {
            context.requiresInputGradient = index > 0  // nothing uses the gradient with respect to the data
            if let norm = layer as? BatchNorm {
                let (outputs, pullback) = try SynchronizedBatchNorm(layer: norm, plan: plan, communicator: communicator).forward(activations)
                activations = outputs
                backwards.append(.synchronized(pullback))
                continue
            }
            var pullbacks: [Layers.Pullback] = []
            for chunk in activations.indices {
                context.generator = generators[chunk]
                let (output, pullback) = layer.forward(activations[chunk], context: context)
                generators[chunk] = context.generator
                activations[chunk] = output
                pullbacks.append(pullback)
            }
            backwards.append(.perChunk(pullbacks))
        }
        let globalCount = Float(max(plan.sampleCount, 1))
        var figures: [Double] = []
        var upstream: [Tensor] = []
        for (chunk, output) in activations.enumerated() {
            let labels = Array(batch.labels[rows[chunk]])
            let (value, lossGradient) = loss.evaluate(output, target: labels)
            upstream.append(lossGradient * (Float(labels.count) / globalCount))
            let correct = loss.correctCount(output, labels: labels)
            figures += [Double(value) * Double(labels.count), Double(correct)]
        }
        activations = []
        var chunkGradients = [[Float]](repeating: [Float](repeating: 0, count: parameterCount), count: owned.count)
        var offset = parameterCount
        for (layer, backward) in zip(layers, backwards).reversed() {
            let layerParameters = layer.namedParameters.map(\.parameter)
            offset -= layerParameters.reduce(0) { $0 + $1.value.count }
            switch backward {
            case .perChunk(let pullbacks):
                for chunk in upstream.indices {
                    layer.zeroGradients()
                    var gradient = Tensor(shape: [0])
                    swap(&gradient, &upstream[chunk])
                    upstream[chunk] = pullbacks[chunk](consume gradient)
                    var position = offset
                    for parameter in layerParameters {
                        let count = parameter.gradient.count
                        parameter.gradient.withUnsafeBufferPointer { chunkGradients[chunk].replaceSubrange(position..<(position + count), with: $0) }
                        position += count
                    }
                }
            case .synchronized(let pullback):
                let (inputGradients, parameterGradients) = try pullback(upstream)
                upstream = inputGradients
                for chunk in upstream.indices {
                    let gradient = parameterGradients[chunk]
                    chunkGradients[chunk].replaceSubrange(offset..<(offset + gradient.count), with: gradient)
                }
            }
        }
        let gradient = try exchange.reduce(plan: plan, parameterCount: parameterCount) { chunk in
            let index = chunk - owned.lowerBound
            defer { chunkGradients[index] = [] }  // each is asked for once
            return chunkGradients[index]
        }
        Trainer.unflatten(gradient, into: parameters)
        optimizer.step(model)
        return try globalFigures(figures, plan: plan)
    }

    /// The layers of `model` in the order they apply, nested `Sequential`s opened.
    static func leafLayers(of model: any Layer) -> [any Layer] {
        guard let sequential = model as? Sequential else { return [model] }
        return sequential.layers.flatMap(leafLayers(of:))
    }
}
