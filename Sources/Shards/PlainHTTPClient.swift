import Foundation

/// A small HTTP/1.1 client for `http://` URLs on POSIX sockets, used by `HTTPShardSource` in
/// place of URLSession (whose libcurl loop keeps a core busy while a server stalls).
///
/// One `GET` per connection (`Connection: close`, `Accept-Encoding: identity`). Every wait is a
/// `poll(2)` on the socket and the cancellation pipe, bounded by the stall timeout (no byte for
/// that long is a transient error) and by the deadline of the whole fetch. Headers are limited
/// to 64 KiB; a body is read by Content-Length (refused at once when that exceeds the limit),
/// in chunked coding (chunk-size lines of at most 4 KiB, sizes checked for overflow, trailers
/// within 64 KiB) or until the connection closes, and reading stops as soon as the body would
/// exceed `maximumBytes`. Redirects (301, 302, 303, 307, 308) are followed up to 5 times to
/// `http://` URLs; one to an `https://` URL is handed back for URLSession to fetch.
struct PlainHTTPClient {
    /// What a fetch gave.
    enum Outcome: Equatable {
        /// The body of a 2xx response.
        case body([UInt8])
        /// A redirect to this `https://` URL (not fetched here).
        case redirect(URL)
    }

    /// The most redirects followed.
    static let maximumRedirects = 5

    /// The limits and errors of the fetch.
    let transfer: HTTPTransfer

    /// Fetches `url` (an `http://` URL), following redirects.
    func get(_ url: URL, maximumBytes: Int) throws -> Outcome {
        var current = url
        var redirects = 0
        while true {
            if transfer.cancellation?.isCancelled ?? false { throw transfer.cancelled() }
            let endpoint = try Endpoint(url: current, transfer: transfer)
            let connection = try HTTPConnection.open(host: endpoint.host, port: endpoint.port, transfer: transfer)
            try connection.transmit(endpoint.request)
            let head = try HTTPResponseHead.read(from: connection, transfer: transfer)
            switch head.status {
            case 200..<300:
                return .body(try body(of: head, from: connection, maximumBytes: maximumBytes))
            case 301, 302, 303, 307, 308:
                let location = head.values("location").first ?? ""
                guard let next = URL(string: location, relativeTo: current)?.absoluteURL, !location.isEmpty else {
                    throw ShardFetchError(
                        isTransient: false, reason: "\(transfer.name): HTTP \(head.status) without a usable Location (\"\(location)\")")
                }
                redirects += 1
                guard redirects <= PlainHTTPClient.maximumRedirects else {
                    throw ShardFetchError(
                        isTransient: false,
                        reason: "\(transfer.name): more than \(PlainHTTPClient.maximumRedirects) redirects (the last to \(next.absoluteString))")
                }
                switch next.scheme?.lowercased() {
                case "http": current = next
                case "https": return .redirect(next)
                default:
                    throw ShardFetchError(
                        isTransient: false, reason: "\(transfer.name): redirected to \(next.absoluteString), which is not an http(s) URL")
                }
            default:
                throw ShardFetchError(isTransient: head.status >= 500, reason: "\(transfer.name): HTTP \(head.status)")
            }
        }
    }

    /// The server, port and request for one URL.
    struct Endpoint {
        /// The host name or address (an IPv6 address without brackets).
        let host: String
        /// The port (80 unless the URL gives one).
        let port: Int
        /// The request's bytes.
        let request: [UInt8]

        init(url: URL, transfer: HTTPTransfer) throws {
            guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true), let named = components.host, !named.isEmpty else {
                throw ShardFetchError(isTransient: false, reason: "\(transfer.name): \(url.absoluteString) names no host")
            }
            host = named.hasPrefix("[") && named.hasSuffix("]") ? String(named.dropFirst().dropLast()) : named
            port = components.port ?? 80
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            let target = path + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
            let authority = (host.contains(":") ? "[\(host)]" : host) + (port == 80 ? "" : ":\(port)")
            // Only visible ASCII may reach the request line and Host field (no header injection).
            guard (1...65535).contains(port), (target + authority).utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw ShardFetchError(isTransient: false, reason: "\(transfer.name): \(url.absoluteString) cannot be requested over HTTP/1.1")
            }
            request = Array(
                ("GET \(target) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: millrace\r\nAccept: */*\r\n"
                    + "Accept-Encoding: identity\r\nConnection: close\r\n\r\n").utf8)
        }
    }
}
