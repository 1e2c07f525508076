import Layers
import Tensors

/// A layer that does not keep to gradient chunks (`Layer.keepsToGradientChunks` false, as a
/// custom layer written for any batch), run by the training step chunk by chunk on its own while
/// the other layers run over whole units. Forward: each non-empty chunk's rows of a unit go
/// through the layer as a batch of one chunk, with chunk k's generators (`StepGenerators`), and
/// the outputs are concatenated in row order. Backward: each chunk's pullback runs on its own,
/// its parameter gradient is captured (gradients zeroed before, flattened after) and the chunks'
/// gradients are added up the fixed `ChunkTree` to the unit's node; the input gradients are
/// concatenated. So every chunk's bits are those of the chunk alone, on any number of ranks, and
/// the chunking costs this layer only. (Buffers the layer updates in `forward`, such as running
/// statistics, see only this rank's chunks.)
package struct ChunkwiseLayer {
    /// The backward pass: from the output gradient of each unit (nil for a unit without samples),
    /// the input gradient of each (nil where the forward context did not require it) and each
    /// unit's parameter gradient, flat in visiting order (its node's tree sum; zeros for no samples).
    package typealias Pullback = ([Tensor?]) -> (inputGradients: [Tensor?], unitGradients: [[Float]])

    /// The layer.
    package let layer: any Layer
    /// Its parameters, in visiting order.
    package let parameters: [Parameter]
    /// The step's units and their chunks.
    package let step: StepLayout

    /// Runs `layer` (whose parameters are `parameters`) over the units of `step`.
    package init(layer: any Layer, parameters: [Parameter], step: StepLayout) {
        self.layer = layer
        self.parameters = parameters
        self.step = step
    }

    /// The forward pass over the units (`step.claims`; nil: a unit whose samples were all left out),
    /// drawing chunk k's randomness from `generators`' streams of chunk k (and advancing them).
    package func forward(_ units: [Tensor?], context: ForwardContext, generators: inout StepGenerators) -> (outputs: [Tensor?], pullback: Pullback) {
        let chunkRows = step.split.chunkRows
        var outputs: [Tensor?] = []
        var pullbacks: [[Layers.Pullback?]] = []
        for (unit, input) in units.enumerated() {
            var unitPullbacks = [Layers.Pullback?](repeating: nil, count: chunkRows[unit].count)
            guard let input else {
                outputs.append(nil)
                pullbacks.append(unitPullbacks)
                continue
            }
            var parts: [Tensor] = []
            for (chunk, rows) in chunkRows[unit].enumerated() where !rows.isEmpty {
                // A batch of one chunk, as a rank holding this chunk alone would run it: layers
                // inside it that keep to chunks (dropout in a custom container) draw from chunk k's
                // stream as they would outside it.
                context.chunkRows = [0..<rows.count]
                context.chunkGenerators = [generators.chunk[unit][chunk]]
                context.generator = generators.context[unit][chunk]
                let (output, pullback) = layer.forward(input.rows(rows), context: context)
                generators.chunk[unit][chunk] = context.chunkGenerators.first ?? generators.chunk[unit][chunk]
                generators.context[unit][chunk] = context.generator
                parts.append(output)
                unitPullbacks[chunk] = pullback
            }
            outputs.append(Tensor.concatenatingRows(parts))
            pullbacks.append(unitPullbacks)
        }
        let needsInputGradient = context.requiresInputGradient
        return (outputs, { [self, pullbacks] in backward($0, pullbacks: pullbacks, needsInputGradient: needsInputGradient) })
    }

    /// The backward pass of `forward`, whose pullbacks (per unit, per chunk; nil for an empty chunk) are `pullbacks`.
    private func backward(_ gradients: [Tensor?], pullbacks: [[Layers.Pullback?]], needsInputGradient: Bool) -> (
        inputGradients: [Tensor?], unitGradients: [[Float]]
    ) {
        let tree = step.tree
        let chunkRows = step.split.chunkRows
        let width = parameters.reduce(0) { $0 + $1.value.count }
        var inputGradients: [Tensor?] = []
        var unitGradients: [[Float]] = []
        for (unit, gradient) in gradients.enumerated() {
            var parts: [Tensor] = []
            let firstChunk = step.split.chunks[unit].lowerBound
            // Leaves are asked for left to right, so the chunks' input gradients come in row order.
            let unitGradient = tree.value(of: step.claims[unit]) { chunk in
                layer.zeroGradients()
                let within = chunk - firstChunk
                if let gradient, let pullback = pullbacks[unit][within] {
                    let part = pullback(gradient.rows(chunkRows[unit][within]))
                    if needsInputGradient { parts.append(part) }
                }
                return GradientVector.flatten(parameters, count: width)
            }
            unitGradients.append(unitGradient)
            inputGradients.append(gradient != nil && needsInputGradient ? Tensor.concatenatingRows(parts) : nil)
        }
        return (inputGradients, unitGradients)
    }
}
