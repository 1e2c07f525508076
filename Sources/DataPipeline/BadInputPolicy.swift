import Synchronization
import SystemIO

/// What a loader does with a sample it cannot read.
public enum BadInputPolicy: Sendable, Equatable, Codable {
    /// Stop with the sample's error (the default).
    case fail
    /// Leave the sample out and record it, unless more than `maximumFraction` of the samples are
    /// bad: then fail with `tooManyBadSamples`. The fraction is of the dataset's size when it is
    /// known; for streams, of the samples seen so far once 1,000 have been seen, and of all of
    /// them at the end. Which samples are skipped depends only on the data, so two runs skip the
    /// same ones.
    case skip(maximumFraction: Double)
}

/// A sample left out under the skipping policy.
public struct QuarantineEntry: Sendable, Equatable, Codable {
    /// Where the sample came from: `path` or `path:line`.
    public var origin: String
    /// What was wrong with it.
    public var reason: String

    /// Creates an entry.
    public init(origin: String, reason: String) {
        self.origin = origin
        self.reason = reason
    }
}

/// The samples a loader skipped, and the error budget that bounds them. Thread-safe.
public final class Quarantine: Sendable {
    private struct State {
        var entries: [QuarantineEntry] = []
        var seen = 0
    }

    private let state = Mutex(State())
    /// The policy applied.
    public let policy: BadInputPolicy
    /// The number of samples in the dataset, if known.
    public let expectedTotal: Int?
    /// Streams are judged against the samples seen only after this many.
    public static let minimumSeenForStreams = 1000

    /// Creates an empty quarantine for `policy`; `expectedTotal` is the dataset's size if known.
    public init(policy: BadInputPolicy, expectedTotal: Int? = nil) {
        self.policy = policy
        self.expectedTotal = expectedTotal
    }

    /// The skipped samples, in the order they were recorded.
    public var entries: [QuarantineEntry] { state.withLock { $0.entries } }

    /// The number of samples seen (good and bad).
    public var seen: Int { state.withLock { $0.seen } }

    /// Counts `count` good samples.
    public func recordGood(_ count: Int = 1) {
        state.withLock { $0.seen += count }
    }

    /// Handles a bad sample: rethrows `error` under `.fail`; under `.skip`, records it and throws
    /// `tooManyBadSamples` when the budget is exceeded.
    public func recordBad(_ error: DataError, origin: String) throws(DataError) {
        guard case .skip(let fraction) = policy else { throw error }
        let (bad, seen) = state.withLock { state in
            state.seen += 1
            state.entries.append(QuarantineEntry(origin: origin, reason: error.description))
            return (state.entries.count, state.seen)
        }
        let judged = expectedTotal ?? (seen >= Quarantine.minimumSeenForStreams ? seen : nil)
        if let judged, let overBudget = Quarantine.budgetError(bad: bad, of: judged, fraction: fraction, counted: .oneLoader(latest: error)) {
            throw overBudget
        }
    }

    /// Checks the budget against everything seen, at the end of a stream.
    public func finish() throws(DataError) {
        guard case .skip(let fraction) = policy else { return }
        let (entries, seen) = state.withLock { ($0.entries, $0.seen) }
        guard let last = entries.last else { return }
        let latest = DataError(.tooManyBadSamples, path: last.origin, reason: last.reason, fix: "")
        if let overBudget = Quarantine.budgetError(
            bad: entries.count, of: expectedTotal ?? seen, fraction: fraction, counted: .oneLoader(latest: latest))
        {
            throw overBudget
        }
    }

    /// Who counted the bad samples judged by `budgetError(bad:of:fraction:counted:)`.
    public enum BadSampleCount: Sendable {
        /// One loader; `latest` is the last bad sample's error (the budget error names its file and line).
        case oneLoader(latest: DataError)
        /// Every rank of a data-parallel run together; `data` names the data (such as "the training data").
        case allRanks(data: String)
    }

    /// The skip policy's budget, the one rule for loaders, training steps and validation: the
    /// `tooManyBadSamples` error when `bad` of `total` samples are more than `fraction` of them,
    /// else nil.
    public static func budgetError(bad: Int, of total: Int, fraction: Double, counted: BadSampleCount) -> DataError? {
        guard Double(bad) > fraction * Double(total) else { return nil }
        switch counted {
        case .oneLoader(let latest):
            return DataError(
                .tooManyBadSamples, path: latest.path, line: latest.line,
                reason: "\(bad) of \(total) samples are bad, more than the allowed \(fraction * 100)% (latest: \(latest.reason))",
                fix: "repair the data (see the quarantine list) or raise the allowed fraction")
        case .allRanks(let data):
            return DataError(
                .tooManyBadSamples, path: data, reason: "\(bad) of \(total) samples are bad (all ranks), more than the allowed \(fraction * 100)%",
                fix: "repair the data (each rank's warnings name the files it left out) or raise skip_bad_fraction")
        }
    }
}

extension RandomAccessDataset {
    /// Sample `index`, or nil when it is bad and `quarantine`'s policy skips it (recording it).
    /// Throws the sample's error under `.fail`, and `tooManyBadSamples` past the budget.
    public func sample(at index: Int, quarantine: Quarantine) throws -> Sample? {
        do {
            let sample = try sample(at: index)
            quarantine.recordGood()
            return sample
        } catch let error as DataError {
            try quarantine.recordBad(error, origin: origin(at: index).description)
            return nil
        }
    }
}
