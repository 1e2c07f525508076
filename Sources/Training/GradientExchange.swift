import DataPipeline
import Dispatch

/// The stage of the training step between backward and the optimizer: turns the gradients of
/// this rank's chunks of a global batch into the gradient of the whole batch, the same on every
/// rank. `OrderedGradientExchange` (the default) gives the same bits for any number of ranks;
/// `AllReduceGradientExchange` uses MPI's own sum (less traffic, bits depend on the rank count).
public protocol GradientExchange: AnyObject {
    /// The ranks.
    var communicator: any Communicator { get }
    /// Seconds spent in collectives so far (waiting for other ranks included).
    var communicationSeconds: Double { get }
    /// Bytes this rank sent in collectives so far.
    var bytesSent: Int { get }
    /// The sum of the chunk gradients of the global batch. `chunkGradient(k)` runs forward and
    /// backward for chunk `k` and returns its (already weighted) gradient as one vector of
    /// `parameterCount` floats; it is called once for each of this rank's chunks, in increasing order.
    func reduce(plan: ChunkPlan, parameterCount: Int, chunkGradient: (Int) throws -> [Float]) throws -> [Float]
}

/// Bit-identical for any rank count: each rank sums its claims of the fixed `ChunkTree`, the
/// claims are all-gathered (`MPI_Allgatherv`), and every rank combines them up the same tree.
/// With ranks that divide the chunk count in powers of two each rank sends one vector, the
/// traffic of an all-gather-based all-reduce.
public final class OrderedGradientExchange: GradientExchange {
    /// The ranks.
    public let communicator: any Communicator
    /// Seconds spent in collectives so far.
    public private(set) var communicationSeconds = 0.0
    /// Bytes sent so far.
    public private(set) var bytesSent = 0

    /// Exchanges among `communicator`'s ranks.
    public init(communicator: any Communicator) {
        self.communicator = communicator
    }

    /// The tree sum of all chunks.
    public func reduce(plan: ChunkPlan, parameterCount: Int, chunkGradient: (Int) throws -> [Float]) throws -> [Float] {
        let tree = ChunkTree(chunkCount: plan.chunkCount)
        let ranks = communicator.rankCount
        let claims = (0..<ranks).map { tree.claims(owning: plan.chunks(ofRank: $0)) }
        var local: [Float] = []
        local.reserveCapacity(claims[communicator.rank].count * parameterCount)
        for node in claims[communicator.rank] { local += try tree.value(of: node, leaf: chunkGradient) }
        if ranks == 1 { return claims[0].first == tree.root ? local : try tree.value(of: tree.root, leaf: chunkGradient) }
        let began = DispatchTime.now().uptimeNanoseconds
        let gathered = try communicator.allGather(local, counts: claims.map { $0.count * parameterCount })
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        bytesSent += local.count * MemoryLayout<Float>.size
        var offsets: [ChunkTree.Node: Int] = [:]
        var offset = 0
        for node in claims.joined() {
            offsets[node] = offset
            offset += parameterCount
        }
        return tree.value(
            of: tree.root, known: { node in offsets[node].map { Array(gathered[$0..<($0 + parameterCount)]) } },
            leaf: { chunk in preconditionFailure("ChunkTree: chunk \(chunk) was claimed by no rank") })
    }
}

/// MPI's own `MPI_Allreduce` (sum) of each rank's in-order sum of its chunks: half the traffic
/// of the ordered exchange for many ranks, but the grouping of the sum (and so the bits) depends
/// on the rank count. An explicit option (`--gradient-exchange allreduce`).
public final class AllReduceGradientExchange: GradientExchange {
    /// The ranks.
    public let communicator: any Communicator
    /// Seconds spent in collectives so far.
    public private(set) var communicationSeconds = 0.0
    /// Bytes sent so far (the vector handed to MPI_Allreduce; MPI's own algorithm decides the wire bytes).
    public private(set) var bytesSent = 0

    /// Exchanges among `communicator`'s ranks.
    public init(communicator: any Communicator) {
        self.communicator = communicator
    }

    /// The rank-local sums, summed by MPI.
    public func reduce(plan: ChunkPlan, parameterCount: Int, chunkGradient: (Int) throws -> [Float]) throws -> [Float] {
        var total = [Float](repeating: 0, count: parameterCount)
        for chunk in plan.chunks(ofRank: communicator.rank) { ChunkTree.add(try chunkGradient(chunk), to: &total) }
        let began = DispatchTime.now().uptimeNanoseconds
        try communicator.sum(&total)
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        bytesSent += total.count * MemoryLayout<Float>.size
        return total
    }
}
