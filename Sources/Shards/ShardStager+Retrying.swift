import Foundation
import SystemIO

extension ShardStager {
    /// Runs `body`, retrying transient `ShardFetchError`s with exponential backoff (50 ms
    /// doubling: 0.75 s in all between 5 attempts). The error names `address` (the URL or path of
    /// the file `name`); `exhausted` hears of a transient error that outlasted every attempt.
    static func retrying<T>(
        attempts: Int, address: String, name: String, exhausted: (DataError) -> Void = { _ in }, _ body: () throws -> T
    ) throws -> T {
        var delay = 0.05
        var attempt = 1
        while true {
            do { return try body() } catch let error as ShardFetchError {
                guard error.isTransient && attempt < attempts else {
                    let kind = error.kind ?? (error.isTransient ? .unreadable : .notFound)
                    // The address names the file: a reason that starts with its name drops it.
                    let reason = error.reason.hasPrefix("\(name): ") ? String(error.reason.dropFirst(name.count + 2)) : error.reason
                    let failure = DataError(
                        kind, path: address, reason: "\(reason) (after \(attempt) attempt\(attempt == 1 ? "" : "s"))",
                        fix: kind == .tooLarge
                            ? "the source serves a different file than the manifest describes: pack and upload it again"
                            : error.isTransient ? "check the server or the network" : "check the URL or path")
                    if error.isTransient { exhausted(failure) }
                    throw failure
                }
                usleep(UInt32(delay * 1e6))
                delay *= 2
                attempt += 1
            }
        }
    }
}
