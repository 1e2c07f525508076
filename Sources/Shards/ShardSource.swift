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
    /// The bytes of shard file `name`, failing (without reading further) once more than
    /// `maximumBytes` arrive. Throws `ShardFetchError` (transient ones are retried).
    func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8]
}

/// A failed fetch: transient ones (connection refused or reset, 5xx, short body) are retried.
public struct ShardFetchError: Error, CustomStringConvertible {
    /// Whether retrying may help.
    public var isTransient: Bool
    /// What happened.
    public var reason: String
    /// The reason.
    public var description: String { reason }
    /// The error to report when retrying ends, when not the usual (unreadable or not found).
    public var kind: DataError.Kind?

    /// Creates a fetch error.
    public init(isTransient: Bool, reason: String, kind: DataError.Kind? = nil) {
        self.isTransient = isTransient
        self.reason = reason
        self.kind = kind
    }

    /// More bytes than the manifest gives for the file: not retried.
    static func oversized(_ name: String, limit: Int) -> ShardFetchError {
        ShardFetchError(isTransient: false, reason: "\(name): more than the \(limit) bytes the manifest gives; reading stopped", kind: .tooLarge)
    }
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

    /// Reads `manifest.json`, refusing one over `ShardManifest.maximumBytes` before reading it.
    public func manifestBytes() throws -> [UInt8] {
        try FileBytes.contents(of: "\(directory)/manifest.json", maximumBytes: ShardManifest.maximumBytes)
    }

    /// Reads a shard file, refusing one over `maximumBytes` before reading it.
    public func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8] {
        do { return try FileBytes.contents(of: "\(directory)/\(name)", maximumBytes: maximumBytes) } catch {
            if error.kind == .tooLarge { throw ShardFetchError.oversized(name, limit: maximumBytes) }
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

    /// Downloads the manifest, stopping past `ShardManifest.maximumBytes`.
    public func manifestBytes() throws -> [UInt8] { try get("manifest.json", maximumBytes: ShardManifest.maximumBytes) }

    /// Downloads a shard, stopping (and failing) as soon as more than `maximumBytes` arrive or the
    /// response announces more.
    public func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8] { try get(name, maximumBytes: maximumBytes) }

    private func get(_ name: String, maximumBytes: Int) throws -> [UInt8] {
        let download = BoundedDownload(name: name, limit: maximumBytes)
        let session = URLSession(configuration: .ephemeral, delegate: download, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: base.appendingPathComponent(name))
        request.timeoutInterval = timeout
        let task = session.dataTask(with: request)
        task.resume()
        if download.done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw ShardFetchError(isTransient: true, reason: "\(name): no response within \(Int(timeout)) s")
        }
        return try download.outcome().get()
    }
}
