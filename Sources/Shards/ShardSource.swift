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
    /// `fetch(_:maximumBytes:)`, aborted (with a `ShardFetchError` that is not retried) once
    /// `cancellation` is raised; a source that cannot be interrupted ignores it.
    func fetch(_ name: String, maximumBytes: Int, cancellation: TransferCancellation) throws -> [UInt8]
    /// The local directory the shards are read from, if any: a staging cache may not be placed
    /// in it, inside it or around it.
    var localDirectory: String? { get }
}

extension ShardSource {
    /// No local directory (a remote source).
    public var localDirectory: String? { nil }

    /// The URL or path of the file `name` of this source, for messages.
    public func address(of name: String) -> String {
        location.hasSuffix("/") ? location + name : location + "/" + name
    }

    /// Fetches without interruption (`cancellation` is ignored).
    public func fetch(_ name: String, maximumBytes: Int, cancellation: TransferCancellation) throws -> [UInt8] {
        try fetch(name, maximumBytes: maximumBytes)
    }
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
    /// The directory, which a staging cache must keep out of.
    public var localDirectory: String? { directory }

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
///
/// `http://` URLs are fetched by `PlainHTTPClient` on POSIX sockets: every wait blocks in
/// `poll(2)`, so a stalled server costs no CPU, and a cancel wakes it at once. `https://` URLs
/// (and redirects to them) go through URLSession.
///
/// Every transfer has a stall timeout: when no byte arrives for `stallTimeout` seconds the
/// transfer is abandoned as a transient failure (the stager retries it, then reports it). The
/// whole transfer is bounded too, by a minimum rate: it may last `2 x stallTimeout` plus one
/// second per 64 KiB received, so at most `2 x stallTimeout + size / 64 KiB/s` for a shard of the
/// size the manifest gives, and a server that trickles bytes (never stalling for a whole stall
/// timeout) is abandoned after about twice the stall timeout.
public struct HTTPShardSource: ShardSource {
    /// The stall timeout used when none is given (30 s).
    public static let defaultStallTimeout: Double = 30

    /// The URL of the directory that holds the manifest.
    public let base: URL
    /// Seconds a transfer may go without receiving a byte.
    public let stallTimeout: Double

    /// A source for a manifest URL (`…/manifest.json`) or its directory URL.
    public init(manifestURL: URL, stallTimeout: Double = HTTPShardSource.defaultStallTimeout) {
        base = manifestURL.lastPathComponent == "manifest.json" ? manifestURL.deletingLastPathComponent() : manifestURL
        self.stallTimeout = max(stallTimeout, 0.001)
    }

    /// The base URL.
    public var location: String { base.absoluteString }

    /// Downloads the manifest, stopping past `ShardManifest.maximumBytes`.
    public func manifestBytes() throws -> [UInt8] { try get("manifest.json", maximumBytes: ShardManifest.maximumBytes, cancellation: nil) }

    /// Downloads a shard, stopping (and failing) as soon as more than `maximumBytes` arrive or the
    /// response announces more.
    public func fetch(_ name: String, maximumBytes: Int) throws -> [UInt8] { try get(name, maximumBytes: maximumBytes, cancellation: nil) }

    /// Downloads a shard as `fetch(_:maximumBytes:)` does, failing at once (not retried) when
    /// `cancellation` is raised.
    public func fetch(_ name: String, maximumBytes: Int, cancellation: TransferCancellation) throws -> [UInt8] {
        try get(name, maximumBytes: maximumBytes, cancellation: cancellation)
    }

    private func get(_ name: String, maximumBytes: Int, cancellation: TransferCancellation?) throws -> [UInt8] {
        let url = base.appendingPathComponent(name)
        let transfer = HTTPTransfer(name: name, stallTimeout: stallTimeout, maximumBytes: maximumBytes, cancellation: cancellation)
        guard url.scheme?.lowercased() == "http" else { return try getWithURLSession(url, maximumBytes: maximumBytes, transfer: transfer) }
        switch try PlainHTTPClient(transfer: transfer).get(url, maximumBytes: maximumBytes) {
        case .body(let bytes): return bytes
        case .redirect(let secure): return try getWithURLSession(secure, maximumBytes: maximumBytes, transfer: transfer)
        }
    }

    /// Fetches `url` with URLSession (`https://`): waits on a semaphore woken a few times per
    /// stall timeout to check the clock and the cancellation. (libcurl itself keeps a core busy
    /// while a server stalls.)
    private func getWithURLSession(_ url: URL, maximumBytes: Int, transfer: HTTPTransfer) throws -> [UInt8] {
        let download = BoundedDownload(transfer: transfer, limit: maximumBytes)
        let session = URLSession(configuration: .ephemeral, delegate: download, delegateQueue: nil)
        var request = URLRequest(url: url)
        request.timeoutInterval = stallTimeout
        let task = session.dataTask(with: request)
        task.resume()
        let tick = min(max(stallTimeout / 4, 0.01), 1)
        while download.done.wait(timeout: .now() + tick) == .timedOut {
            if transfer.cancellation?.isCancelled ?? false {
                download.finish(transfer.cancelled())
            } else if download.idleSeconds >= stallTimeout {
                download.finish(download.stalled())
            } else if HTTPTransfer.now >= transfer.deadline {
                download.finish(transfer.tookTooLong())
            }
        }
        // The outcome is known: stop the transfer now rather than letting it drain, and let the
        // task end before the session goes (bounded: a cancelled transfer ends promptly).
        download.cancelOnce(task)
        _ = download.completed.wait(timeout: .now() + max(stallTimeout, 5))
        session.finishTasksAndInvalidate()
        return try download.outcome().get()
    }

    /// `30 s`, `1.5 s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)) s" : "\(value) s"
    }
}
