import DataPipeline
import Layers
import Tensors

/// Batch normalisation of a global batch cut into chunks and dealt to ranks, with the
/// statistics of the whole global batch: each rank sums its chunks per channel (Σx, then
/// Σ(x - mean)² in a second pass, and in backward Σdy and Σdy·x̂), the chunk sums are
/// all-gathered and added up the fixed `ChunkTree`, and every chunk is normalised with the
/// global mean and variance. So the output, the gradients and the running statistics are the
/// same bits on any number of ranks, and equal to the whole-batch layer's up to rounding.
public struct SynchronizedBatchNorm {
    /// The layer (its parameters and running statistics).
    public let layer: BatchNorm
    /// How the global batch is cut into chunks and dealt to ranks.
    public let plan: ChunkPlan
    /// The ranks.
    public let communicator: any Communicator

    /// Normalises `layer`'s input over the chunks of `plan` among `communicator`'s ranks.
    public init(layer: BatchNorm, plan: ChunkPlan, communicator: any Communicator) {
        self.layer = layer
        self.plan = plan
        self.communicator = communicator
    }

    /// The backward pass: from the output gradient of each of this rank's units (nil for a unit
    /// without samples), the input gradient of each and each chunk's own gradient of `weight` and
    /// `bias` (in visiting order, chunks in order; zeros for an empty chunk).
    public typealias Pullback = ([Tensor?]) throws -> (inputGradients: [Tensor?], parameterGradients: [[Float]])

    /// The training forward pass over this rank's chunks (`plan.chunks(ofRank:)`), given as
    /// `units`: tensors of consecutive chunks, whose chunks are the rows `chunkRows[u]` of
    /// `units[u]` in order (nil: a unit whose samples were all left out; an empty range: such a
    /// chunk). Sums are taken per chunk (no copies); normalisation and the input gradient run over
    /// whole units. Updates the running statistics once, with the global batch's. Every rank must
    /// call it at the same point (three collectives, one in backward).
    public func forward(_ units: [Tensor?], chunkRows: [[Range<Int>]]) throws -> (outputs: [Tensor?], pullback: Pullback) {
        let channels = layer.weight.value.count
        let pieces = zip(units, chunkRows).flatMap { unit, rows in rows.map { (unit, $0) } }
        // The count rides along with the sums: a rank without chunks does not know the shape.
        let totals = try globalSum(
            pieces.map { unit, rows in
                guard let unit else { return [Double](repeating: 0, count: channels + 1) }
                return layer.channelSums(of: unit, rows: rows) + [Double(layer.valuesPerChannel(in: unit, rows: rows))]
            }, width: channels + 1)
        let count = Int(totals[channels])
        let mean = totals[0..<channels].map { $0 / Double(max(count, 1)) }
        let squares = try globalSum(
            pieces.map { unit, rows in
                unit.map { layer.channelSquaredDeviations(of: $0, rows: rows, from: mean) } ?? [Double](repeating: 0, count: channels)
            }, width: channels)
        let (means, inverse) = layer.batchStatistics(mean: mean, squaredDeviations: squares, count: count)
        let normalized = units.map { $0.map { layer.normalize($0, mean: means, inverse: inverse) } }
        return (
            normalized.map { $0?.output },
            { [layer] gradients in
                let local = zip(zip(gradients, normalized), chunkRows).flatMap { pair, rows in
                    rows.map { range -> (dy: [Double], dyTimesNormalized: [Double]) in
                        guard let gradient = pair.0, let normal = pair.1 else {
                            return ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
                        }
                        return layer.gradientSums(gradient, normalized: normal.normalized, rows: range)
                    }
                }
                let sums = try globalSum(local.map { $0.dy + $0.dyTimesNormalized }, width: 2 * channels)
                let global = (dy: Array(sums[0..<channels]), dyTimesNormalized: Array(sums[channels...]))
                let inputGradients = zip(gradients, normalized).map { gradient, normal -> Tensor? in
                    guard let gradient, let normal else { return nil }
                    return layer.inputGradient(gradient, normalized: normal.normalized, inverse: inverse, sums: global, count: count, training: true)
                }
                return (inputGradients, local.map { layer.parameterGradient($0) })
            }
        )
    }

    /// The sum over every chunk of the global batch of its vector of `width` doubles (`local`:
    /// this rank's chunks', in order), grouped by the chunk tree.
    func globalSum(_ local: [[Double]], width: Int) throws -> [Double] {
        let counts = (0..<plan.rankCount).map { plan.chunks(ofRank: $0).count * width }
        // Ranks own consecutive chunks in rank order, so chunk k's vector starts at k * width.
        let all = try communicator.allGather(Array(local.joined()), counts: counts)
        return ChunkTree(chunkCount: plan.chunkCount).sum(width: width) { all[($0 * width)..<(($0 + 1) * width)] }
    }
}
