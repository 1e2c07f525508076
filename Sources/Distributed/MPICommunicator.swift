import CMPI
import Foundation

/// Open MPI's `MPI_COMM_WORLD`, with libmpi loaded at run time (a plain run never loads it).
/// Created once per process, before any other MPI use; `finish()` calls `MPI_Finalize`.
public final class MPICommunicator: Communicator {
    /// This process's rank.
    public let rank: Int
    /// The number of ranks.
    public let rankCount: Int

    /// The rank and rank count that Open MPI's launcher (`mpirun`) put in the environment, or
    /// nil when this process was not launched by it.
    public static func launchedRanks(environment: [String: String] = ProcessInfo.processInfo.environment) -> (rank: Int, count: Int)? {
        guard let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init),
            size > 0, (0..<size).contains(rank)
        else { return nil }
        return (rank, size)
    }

    /// Loads libmpi and calls `MPI_Init`.
    public init() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard cmpi_load(&message, Int32(message.count)) == 0 else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw MPIStartError(reason: text)
        }
        let initialized = cmpi_init()
        guard initialized == 0 else { throw CommunicationError(operation: "MPI_Init", code: initialized) }
        var rank: Int32 = 0
        var size: Int32 = 0
        _ = cmpi_rank(&rank)
        _ = cmpi_size(&size)
        self.rank = Int(rank)
        rankCount = Int(size)
    }

    /// Every rank's doubles in rank order.
    public func allGather(_ values: [Double], counts: [Int]) throws -> [Double] {
        let (counts32, displacements, total) = try layout(counts)
        var result = [Double](repeating: 0, count: total)
        let code = result.withUnsafeMutableBufferPointer { out in
            cmpi_allgatherv_double(values, Int32(values.count), out.baseAddress, counts32, displacements)
        }
        guard code == 0 else { throw CommunicationError(operation: "MPI_Allgatherv", code: code) }
        return result
    }

    /// `MPI_Iallgatherv`: started now, completed by `wait()`.
    public func startAllGather(_ values: [Float], counts: [Int]) throws -> any PendingAllGather {
        let (counts32, displacements, total) = try layout(counts)
        return try MPIPendingAllGather(values: values, counts: counts32, displacements: displacements, total: total)
    }

    /// `MPI_Allreduce` with `MPI_SUM`, in place.
    public func sum(_ values: inout [Float]) throws {
        let code = values.withUnsafeMutableBufferPointer { cmpi_allreduce_sum_float($0.baseAddress, Int32($0.count)) }
        guard code == 0 else { throw CommunicationError(operation: "MPI_Allreduce", code: code) }
    }

    /// `MPI_Allreduce` with `MPI_SUM`, in place.
    public func sum(_ values: inout [Double]) throws {
        let code = values.withUnsafeMutableBufferPointer { cmpi_allreduce_sum_double($0.baseAddress, Int32($0.count)) }
        guard code == 0 else { throw CommunicationError(operation: "MPI_Allreduce", code: code) }
    }

    /// `MPI_Finalize`: call once, after the last collective, on every rank.
    public func finish() {
        _ = cmpi_finalize()
    }

    /// `MPI_Abort`: ends every rank of the job with `code`.
    public func abort(code: Int32) -> Never {
        _ = cmpi_abort(code)
        exit(code)
    }

    private func layout(_ counts: [Int]) throws -> ([Int32], [Int32], Int) {
        var displacements: [Int32] = []
        var total = 0
        for count in counts {
            displacements.append(Int32(total))
            total += count
        }
        guard total <= Int(Int32.max) else { throw CommunicationError(operation: "MPI_Allgatherv (more than 2^31 elements)", code: -1) }
        return (counts.map { Int32($0) }, displacements, total)
    }
}

/// An `MPI_Iallgatherv` under way. It owns its buffers, counts and displacements (MPI reads and
/// writes them until the request completes), and completes the request before it is freed.
final class MPIPendingAllGather: PendingAllGather {
    private let send: UnsafeMutableBufferPointer<Float>
    private let receive: UnsafeMutableBufferPointer<Float>
    private let counts: UnsafeMutableBufferPointer<Int32>
    private let displacements: UnsafeMutableBufferPointer<Int32>
    private let total: Int
    private var request: UnsafeMutableRawPointer?
    private var done = false

    init(values: [Float], counts: [Int32], displacements: [Int32], total: Int) throws {
        send = .allocate(capacity: max(values.count, 1))
        _ = send.initialize(from: values)
        receive = .allocate(capacity: max(total, 1))
        receive.initialize(repeating: 0)
        self.counts = .allocate(capacity: max(counts.count, 1))
        _ = self.counts.initialize(from: counts)
        self.displacements = .allocate(capacity: max(displacements.count, 1))
        _ = self.displacements.initialize(from: displacements)
        self.total = total
        let code = cmpi_iallgatherv_float(
            send.baseAddress, Int32(values.count), receive.baseAddress, self.counts.baseAddress, self.displacements.baseAddress, &request)
        guard code == 0 else {
            done = true
            throw CommunicationError(operation: "MPI_Iallgatherv", code: code)
        }
    }

    func test() throws -> Bool {
        guard !done else { return true }
        var flag: Int32 = 0
        let code = cmpi_test(&request, &flag)
        guard code == 0 else { throw CommunicationError(operation: "MPI_Test", code: code) }
        done = flag != 0
        return done
    }

    func wait() throws -> [Float] {
        if !done {
            let code = cmpi_wait(&request)
            guard code == 0 else { throw CommunicationError(operation: "MPI_Wait", code: code) }
            done = true
        }
        return Array(receive.prefix(total))
    }

    deinit {
        if !done { _ = cmpi_wait(&request) }
        send.deallocate()
        receive.deallocate()
        counts.deallocate()
        displacements.deallocate()
    }
}

/// Open MPI could not be loaded.
public struct MPIStartError: Error, CustomStringConvertible {
    /// Why.
    public var reason: String
    /// One line with the fix.
    public var description: String {
        "launched by mpirun, but \(reason); install Open MPI (apt-get install openmpi-bin libopenmpi-dev) on every machine"
    }
}
