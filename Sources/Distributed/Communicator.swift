/// The processes of a data-parallel run and the collectives the training loop needs between
/// them. Every rank calls the same collectives in the same order; `SingleProcess` is the trivial
/// one, `MPICommunicator` runs on Open MPI.
public protocol Communicator: AnyObject {
    /// This process's rank (0-based).
    var rank: Int { get }
    /// The number of ranks.
    var rankCount: Int { get }
    /// Every rank's `values` concatenated in rank order; `counts[r]` is rank r's count (the
    /// same array on every rank).
    func allGather(_ values: [Double], counts: [Int]) throws -> [Double]
    /// Starts an all-gather of floats (every rank's `values` concatenated in rank order; `counts[r]`
    /// is rank r's count) and returns at once, so work can go on while it runs
    /// (`PendingAllGather.wait()` gives the result). Ranks start their gathers in the same order.
    func startAllGather(_ values: [Float], counts: [Int]) throws -> any PendingAllGather
    /// The element-wise sum over ranks, in place (in the collective's own order: fast, but the
    /// bits may depend on the rank count).
    func sum(_ values: inout [Float]) throws
    /// The element-wise sum over ranks, in place.
    func sum(_ values: inout [Double]) throws
}

/// One process: collectives return their input.
public final class SingleProcess: Communicator {
    /// Creates it.
    public init() {}
    /// 0.
    public var rank: Int { 0 }
    /// 1.
    public var rankCount: Int { 1 }
    /// `values`.
    public func allGather(_ values: [Double], counts: [Int]) throws -> [Double] { values }
    /// A gather that has already completed.
    public func startAllGather(_ values: [Float], counts: [Int]) throws -> any PendingAllGather { CompletedAllGather(values) }
    /// Leaves `values` as they are.
    public func sum(_ values: inout [Float]) throws {}
    /// Leaves `values` as they are.
    public func sum(_ values: inout [Double]) throws {}
}

/// An all-gather under way (`Communicator.startAllGather`).
public protocol PendingAllGather: AnyObject {
    /// Lets it progress without waiting; true once it has completed.
    func test() throws -> Bool
    /// Waits for it and returns every rank's values in rank order (once).
    func wait() throws -> [Float]
}

/// An all-gather whose result is known at once (one process).
final class CompletedAllGather: PendingAllGather {
    private let values: [Float]
    init(_ values: [Float]) { self.values = values }
    func test() throws -> Bool { true }
    func wait() throws -> [Float] { values }
}

/// A collective failed (MPI returned an error code instead of aborting).
public struct CommunicationError: Error, CustomStringConvertible {
    /// The operation.
    public var operation: String
    /// MPI's error code.
    public var code: Int32
    /// One line.
    public var description: String { "MPI \(operation) failed with error code \(code); check the other ranks' output" }
}
