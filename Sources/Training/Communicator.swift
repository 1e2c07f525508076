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
    func allGather(_ values: [Float], counts: [Int]) throws -> [Float]
    /// Every rank's `values` concatenated in rank order; `counts[r]` is rank r's count.
    func allGather(_ values: [Double], counts: [Int]) throws -> [Double]
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
    public func allGather(_ values: [Float], counts: [Int]) throws -> [Float] { values }
    /// `values`.
    public func allGather(_ values: [Double], counts: [Int]) throws -> [Double] { values }
    /// Leaves `values` as they are.
    public func sum(_ values: inout [Float]) throws {}
    /// Leaves `values` as they are.
    public func sum(_ values: inout [Double]) throws {}
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
