import DataPipeline
import Dispatch
import Tensors

/// The stage of the training step between backward and the optimizer: turns this rank's claims
/// of a global batch's gradient (`ChunkTree.claims(owning:)`) into the gradient of the whole
/// batch, the same on every rank. It works in buckets, one per layer, started while the backward
/// pass goes on to earlier layers, as PyTorch DDP does. `OrderedGradientExchange` (the default)
/// gives the same bits for any number of ranks; `AllReduceGradientExchange` uses MPI's own sum
/// (less traffic, bits depend on the rank count).
public protocol GradientExchange: AnyObject {
    /// The ranks.
    var communicator: any Communicator { get }
    /// Seconds spent in collectives so far (starting, progressing and waiting, other ranks included).
    var communicationSeconds: Double { get }
    /// Bytes this rank sent in collectives so far.
    var bytesSent: Int { get }
    /// Starts summing one bucket: the gradient elements `elements`, of which `claimValues` holds
    /// the values of this rank's claims (in claim order, `elements.count` floats each). Every rank
    /// begins the same buckets in the same order.
    func begin(bucket elements: Range<Int>, claimValues: [[Float]], plan: ChunkPlan) throws
    /// Lets started buckets progress without waiting (called between layers of the backward pass).
    func progress() throws
    /// Waits for every bucket begun since the last call and returns the whole gradient
    /// (`parameterCount` floats; elements of no bucket are 0).
    func finish(parameterCount: Int) throws -> [Float]
}

/// Bit-identical for any rank count: each rank's claims of the fixed `ChunkTree` are all-gathered
/// (`MPI_Iallgatherv`, one per bucket) and every rank combines them up the same tree. With ranks
/// that divide the chunk count in powers of two each rank sends one vector per bucket, the
/// traffic of an all-gather-based all-reduce.
public final class OrderedGradientExchange: GradientExchange {
    /// The ranks.
    public let communicator: any Communicator
    /// Whether a bucket's gather starts as soon as it is begun (overlapping the rest of the
    /// backward pass); false: every gather runs after the backward pass, one after another.
    public var overlaps: Bool
    /// Seconds spent in collectives so far.
    public private(set) var communicationSeconds = 0.0
    /// Bytes sent so far.
    public private(set) var bytesSent = 0

    private struct Bucket {
        let elements: Range<Int>
        let plan: ChunkPlan
        let local: [Float]
        var gather: (any PendingAllGather)?
    }
    private var buckets: [Bucket] = []

    /// Where every rank's claims lie in a gather: the same for every bucket of a plan.
    private struct GatherLayout {
        let tree: ChunkTree
        /// The number of claims of each rank.
        let claimCounts: [Int]
        /// Each claim's place among all ranks' claims, in rank order.
        let claimIndex: [ChunkTree.Node: Int]

        init(plan: ChunkPlan) {
            let tree = ChunkTree(chunkCount: plan.chunkCount)
            let claims = (0..<plan.rankCount).map { tree.claims(owning: plan.chunks(ofRank: $0)) }
            self.tree = tree
            claimCounts = claims.map(\.count)
            var index: [ChunkTree.Node: Int] = [:]
            for (position, node) in claims.joined().enumerated() { index[node] = position }
            claimIndex = index
        }
    }
    /// The layout of the last plan seen (a step's buckets share one plan).
    private var cachedLayout: (plan: ChunkPlan, layout: GatherLayout)?

    /// Exchanges among `communicator`'s ranks.
    public init(communicator: any Communicator, overlaps: Bool = true) {
        self.communicator = communicator
        self.overlaps = overlaps
    }

    /// Starts the bucket's gather (or, without overlap, keeps it for `finish`).
    public func begin(bucket elements: Range<Int>, claimValues: [[Float]], plan: ChunkPlan) throws {
        var bucket = Bucket(elements: elements, plan: plan, local: Array(claimValues.joined()), gather: nil)
        if overlaps { bucket.gather = try start(bucket) }
        buckets.append(bucket)
    }

    /// Tests the buckets under way.
    public func progress() throws {
        try timed {
            for bucket in buckets where bucket.gather != nil { _ = try bucket.gather?.test() }
        }
    }

    /// Every bucket's claims combined up the tree, written into one vector.
    public func finish(parameterCount: Int) throws -> [Float] {
        var result = [Float](repeating: 0, count: parameterCount)
        defer { buckets = [] }
        for bucket in buckets {
            let gather = try bucket.gather ?? start(bucket)
            let gathered = try timed { try gather.wait() }
            let width = bucket.elements.count
            let layout = layout(of: bucket.plan)
            let tree = layout.tree
            let value = tree.value(
                of: tree.root, known: { node in layout.claimIndex[node].map { Array(gathered[($0 * width)..<(($0 + 1) * width)]) } },
                leaf: { chunk in preconditionFailure("ChunkTree: chunk \(chunk) was claimed by no rank") })
            result.replaceSubrange(bucket.elements, with: value)
        }
        return result
    }

    private func start(_ bucket: Bucket) throws -> any PendingAllGather {
        let counts = layout(of: bucket.plan).claimCounts.map { $0 * bucket.elements.count }
        bytesSent += bucket.local.count * MemoryLayout<Float>.size
        return try timed { try communicator.startAllGather(bucket.local, counts: counts) }
    }

    private func layout(of plan: ChunkPlan) -> GatherLayout {
        if let cachedLayout, cachedLayout.plan == plan { return cachedLayout.layout }
        let layout = GatherLayout(plan: plan)
        cachedLayout = (plan, layout)
        return layout
    }

    private func timed<Result>(_ body: () throws -> Result) rethrows -> Result {
        let began = DispatchTime.now().uptimeNanoseconds
        defer { communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        return try body()
    }
}

/// MPI's own `MPI_Allreduce` (sum) of each rank's in-order sum of its claims: half the traffic
/// of the ordered exchange for many ranks, but the grouping of the sum (and so the bits) depends
/// on the rank count. An explicit option (`--gradient-exchange allreduce`); one blocking
/// all-reduce of the whole gradient after the backward pass.
public final class AllReduceGradientExchange: GradientExchange {
    /// The ranks.
    public let communicator: any Communicator
    /// Seconds spent in collectives so far.
    public private(set) var communicationSeconds = 0.0
    /// Bytes sent so far (the vector handed to MPI_Allreduce; MPI's own algorithm decides the wire bytes).
    public private(set) var bytesSent = 0
    private var buckets: [(elements: Range<Int>, sum: [Float])] = []

    /// Exchanges among `communicator`'s ranks.
    public init(communicator: any Communicator) {
        self.communicator = communicator
    }

    /// Adds the bucket's claims in order.
    public func begin(bucket elements: Range<Int>, claimValues: [[Float]], plan: ChunkPlan) throws {
        var sum = [Float](repeating: 0, count: elements.count)
        for value in claimValues { ChunkTree.add(value, to: &sum) }
        buckets.append((elements, sum))
    }

    /// Nothing runs between layers.
    public func progress() throws {}

    /// The rank-local sums, summed by MPI.
    public func finish(parameterCount: Int) throws -> [Float] {
        var total = [Float](repeating: 0, count: parameterCount)
        for bucket in buckets { total.replaceSubrange(bucket.elements, with: bucket.sum) }
        buckets = []
        let began = DispatchTime.now().uptimeNanoseconds
        try communicator.sum(&total)
        communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        bytesSent += total.count * MemoryLayout<Float>.size
        return total
    }
}
