import DataPipeline
import Dispatch
import Foundation
import ImageFormats
import SystemIO
import TabularFormats
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where packed shards come from.
public protocol ShardSource: Sendable {
    /// A name for messages (a directory or URL).
    var location: String { get }
    /// The manifest's bytes.
    func manifestBytes() throws -> [UInt8]
    /// The bytes of shard file `name`. Throws `ShardFetchError` (transient ones are retried).
    func fetch(_ name: String) throws -> [UInt8]
}

/// A failed fetch: transient ones (connection refused or reset, 5xx, short body) are retried.
public struct ShardFetchError: Error, CustomStringConvertible {
    /// Whether retrying may help.
    public var isTransient: Bool
    /// What happened.
    public var reason: String
    /// The reason.
    public var description: String { reason }
}

/// Shards in a local directory (or a mounted network file system).
public struct LocalShardSource: ShardSource {
    /// The directory holding `manifest.json` and the shards.
    public let directory: String

    /// A source reading `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The directory.
    public var location: String { directory }

    /// Reads `manifest.json`.
    public func manifestBytes() throws -> [UInt8] { try FileBytes.contents(of: "\(directory)/manifest.json") }

    /// Reads a shard file.
    public func fetch(_ name: String) throws -> [UInt8] {
        do { return try FileBytes.contents(of: "\(directory)/\(name)") } catch {
            throw ShardFetchError(isTransient: error.kind == .unreadable, reason: error.description)
        }
    }
}

/// Shards served over HTTP(S): `<base>/manifest.json` and `<base>/<shard name>`.
public struct HTTPShardSource: ShardSource {
    /// The URL of the directory that holds the manifest.
    public let base: URL
    /// Seconds to wait for one response.
    public let timeout: Double

    /// A source for a manifest URL (`…/manifest.json`) or its directory URL.
    public init(manifestURL: URL, timeout: Double = 60) {
        base = manifestURL.lastPathComponent == "manifest.json" ? manifestURL.deletingLastPathComponent() : manifestURL
        self.timeout = timeout
    }

    /// The base URL.
    public var location: String { base.absoluteString }

    /// Downloads the manifest.
    public func manifestBytes() throws -> [UInt8] { try get("manifest.json") }

    /// Downloads a shard.
    public func fetch(_ name: String) throws -> [UInt8] { try get(name) }

    private func get(_ name: String) throws -> [UInt8] {
        final class Outcome: @unchecked Sendable {
            var result: Result<[UInt8], ShardFetchError> = .failure(ShardFetchError(isTransient: true, reason: "no response"))
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        var request = URLRequest(url: base.appendingPathComponent(name))
        request.timeoutInterval = timeout
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                outcome.result = .failure(ShardFetchError(isTransient: true, reason: "\(name): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                outcome.result = .failure(ShardFetchError(isTransient: http.statusCode >= 500, reason: "\(name): HTTP \(http.statusCode)"))
            } else if let http = response as? HTTPURLResponse, http.expectedContentLength >= 0, Int64(data?.count ?? 0) != http.expectedContentLength {
                outcome.result = .failure(ShardFetchError(isTransient: true, reason: "\(name): body of \(data?.count ?? 0) bytes, expected \(http.expectedContentLength)"))
            } else {
                outcome.result = .success(Array(data ?? Data()))
            }
            outcome.done.signal()
        }
        task.resume()
        if outcome.done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw ShardFetchError(isTransient: true, reason: "\(name): no response within \(Int(timeout)) s")
        }
        return try outcome.result.get()
    }
}
