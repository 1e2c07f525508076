import Foundation
import Shards
import SystemIO
import TestSupport
import XCTest

/// The plain HTTP/1.1 client behind `HTTPShardSource` for `http://` URLs, against scripted
/// loopback responses: chunked bodies, redirects, header and body limits, lying lengths, resets.
final class PlainHTTPClientTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var server: LoopbackHTTPServer!
    private var source: HTTPShardSource!
    /// The bytes of `a.bin`: 200,000 bytes that differ from position to position.
    private let file = (0..<200_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
    private let second = Array("the second file".utf8)

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        try Data(file).write(to: directory.path("a.bin"))
        try Data(second).write(to: directory.path("b.bin"))
        server = try LoopbackHTTPServer(directory: directory.url.path)
        source = HTTPShardSource(manifestURL: server.url("manifest.json"), stallTimeout: 5)
    }

    override func tearDown() {
        server.stop()
    }

    /// The response bytes: `head` lines (CR LF added) and `body`.
    private func response(_ head: [String], _ body: [UInt8] = []) -> [UInt8] {
        Array((head.map { $0 + "\r\n" }.joined() + "\r\n").utf8) + body
    }

    /// The error fetching `a.bin` after serving `raw`, with `limit` bytes allowed.
    private func error(serving raw: [UInt8], limit: Int = 1 << 20, file: StaticString = #filePath, line: UInt = #line) -> ShardFetchError? {
        server.inject([.raw(raw)], for: "a.bin")
        do {
            let bytes = try source.fetch("a.bin", maximumBytes: limit)
            XCTFail("fetched \(bytes.count) bytes", file: file, line: line)
            return nil
        } catch {
            XCTAssertTrue(error is ShardFetchError, "\(error)", file: file, line: line)
            return error as? ShardFetchError
        }
    }

    private func chunk(_ bytes: [UInt8], _ sizeLine: String? = nil) -> [UInt8] {
        Array("\(sizeLine ?? String(bytes.count, radix: 16))\r\n".utf8) + bytes + [13, 10]
    }

    func testTheRequestAsksForOneIdentityBodyAndClosesTheConnection() throws {
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: file.count), file)
        let head = try XCTUnwrap(server.requestHeads["a.bin"])
        XCTAssertTrue(head.hasPrefix("GET /a.bin HTTP/1.1\r\n"), head)
        for field in ["Host: 127.0.0.1:\(server.port)", "Connection: close", "Accept-Encoding: identity"] {
            XCTAssertTrue(head.contains("\r\n\(field)\r\n"), "\(field) missing from \(head)")
        }
    }

    func testChunkedBodiesWithExtensionsAndTrailersAreDecoded() throws {
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let digits = Array("0123456789".utf8)
        let raw =
            response(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"]) + chunk(letters, "1a;name=value;quoted=\"a;b\"")
            + chunk(digits, "00A \t; ext") + Array("0;last=1\r\nX-Checksum: 12\r\nX-Other: two\r\n\r\n".utf8)
        server.inject([.raw(raw), .raw(raw)], for: "a.bin")
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: 36), letters + digits, "exactly the limit is allowed")
        XCTAssertThrowsError(try source.fetch("a.bin", maximumBytes: 35)) { error in
            XCTAssertEqual((error as? ShardFetchError)?.kind, .tooLarge, "\(error)")
        }
        // The whole file in chunks of varying sizes, uppercase hex, no trailers.
        var body = response(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])
        var offset = 0
        for size in (1...).lazy.map({ $0 * 997 % 4099 + 1 }) {
            let end = min(offset + size, file.count)
            body += chunk(Array(file[offset..<end]), String(end - offset, radix: 16, uppercase: true))
            offset = end
            if offset == file.count { break }
        }
        server.inject([.raw(body + Array("0\r\n\r\n".utf8))], for: "a.bin")
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: file.count), file)
    }

    func testBrokenChunkedBodiesAreTypedErrors() throws {
        let head = response(["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"])
        let ten = Array("0123456789".utf8)
        let rows: [(String, [UInt8], DataError.Kind?, Bool, String)] = [
            ("size not hex", head + Array("zz\r\n".utf8), .corrupt, true, "malformed HTTP response: a chunk-size line \"zz\""),
            ("size overflows", head + chunk(ten, String(repeating: "f", count: 19)), .tooLarge, false, "more than the 1048576 bytes"),
            ("closed mid-chunk", head + Array("64\r\n".utf8) + ten, nil, true, "the connection closed in the middle of a chunk"),
            ("closed before the last chunk", head + chunk(ten), nil, true, "the connection closed in the middle of the chunk-size line"),
            (
                "size line too long", head + chunk(ten, "a;" + String(repeating: "x", count: 5000)), .corrupt, true,
                "more than 4096 bytes of chunk-size line"
            ),
            ("chunk longer than said", head + chunk(ten, "3"), .corrupt, true, "more than 2 bytes of end of a chunk"),
            (
                "chunks over the limit", head + chunk(Array(repeating: 1, count: 600_000)) + chunk(Array(repeating: 2, count: 600_000)), .tooLarge,
                false, "more than the"
            ),
            (
                "trailers over 64 KiB", head + chunk(ten) + Array(("0\r\n" + String(repeating: "X-Trailer: 0123456789\r\n", count: 3000)).utf8),
                .corrupt, true, "more than 65536 bytes of trailer fields"
            ),
        ]
        for (name, raw, kind, transient, fragment) in rows {
            let failure = error(serving: raw)
            XCTAssertEqual(failure?.kind, kind, name)
            XCTAssertEqual(failure?.isTransient, transient, name)
            XCTAssertTrue(failure?.reason.contains(fragment) ?? false, "\(name): \(String(describing: failure))")
        }
    }

    func testRedirectsAreFollowedUpToFiveTimes() throws {
        let absolute = server.url("b.bin").absoluteString
        for (status, location) in [(301, "/b.bin"), (302, "b.bin"), (303, absolute), (307, absolute), (308, "/b.bin")] {
            server.inject([.raw(response(["HTTP/1.1 \(status) Moved", "Location: \(location)", "Content-Length: 0"]))], for: "a.bin")
            XCTAssertEqual(try source.fetch("a.bin", maximumBytes: 100), second, "\(status) \(location)")
        }
        XCTAssertEqual(server.requestCounts["a.bin"], 5)
        XCTAssertEqual(server.requestCounts["b.bin"], 5)
        // Five redirects to itself, then the file: followed.
        let loop = response(["HTTP/1.1 302 Found", "Location: /a.bin", "Content-Length: 0"])
        server.inject(Array(repeating: .raw(loop), count: 5), for: "a.bin")
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: file.count), file)
        XCTAssertEqual(server.requestCounts["a.bin"], 11)
        // A sixth is refused, and not retried.
        server.inject(Array(repeating: .raw(loop), count: 6), for: "a.bin")
        XCTAssertThrowsError(try source.fetch("a.bin", maximumBytes: file.count)) { error in
            XCTAssertEqual((error as? ShardFetchError)?.isTransient, false)
            XCTAssertTrue("\(error)".contains("a.bin: more than 5 redirects (the last to \(server.url("a.bin").absoluteString))"), "\(error)")
        }
        XCTAssertEqual(server.requestCounts["a.bin"], 17)
        let elsewhere = error(serving: response(["HTTP/1.1 301 Moved", "Location: ftp://127.0.0.1/a.bin"]))
        XCTAssertTrue(
            elsewhere?.reason.contains("redirected to ftp://127.0.0.1/a.bin, which is not an http(s) URL") ?? false,
            "\(String(describing: elsewhere))")
        let nowhere = error(serving: response(["HTTP/1.1 301 Moved", "Content-Length: 0"]))
        XCTAssertTrue(nowhere?.reason.contains("HTTP 301 without a usable Location") ?? false, "\(String(describing: nowhere))")
    }

    func testHeaderBlocksAreLimitedTo64KiB() throws {
        let oneLong = response(["HTTP/1.1 200 OK", "X-Padding: " + String(repeating: "a", count: 70_000), "Content-Length: 2"], [1, 2])
        let many = response(["HTTP/1.1 200 OK"] + Array(repeating: "X-Padding: 0123456789012345678901234567890", count: 2000), [1, 2])
        for raw in [oneLong, many] {
            let failure = error(serving: raw)
            XCTAssertEqual(failure?.kind, .corrupt)
            XCTAssertTrue(failure?.reason.contains("more than 65536 bytes of response headers") ?? false, "\(String(describing: failure))")
        }
        // Just under the limit, after an interim 100 Continue: read.
        let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
        let under = response(["HTTP/1.1 200 OK", "X-Padding: " + String(repeating: "a", count: 65_000), "Content-Length: 2"], [1, 2])
        server.inject([.raw(interim + under)], for: "a.bin")
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: 2), [1, 2])
        let notHTTP = error(serving: Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8))
        XCTAssertTrue(notHTTP?.reason.contains("not an HTTP/1.x status line: \"SSH-2.0-OpenSSH_9.2\"") ?? false, "\(String(describing: notHTTP))")
    }

    func testAContentLengthOverTheLimitIsRefusedBeforeReadingTheBody() throws {
        // Ten bytes of an announced thousand: reading would end in a short body, not this.
        let announced = response(["HTTP/1.1 200 OK", "Content-Length: 1000"], Array(repeating: 7, count: 10))
        let refused = error(serving: announced, limit: 999)
        XCTAssertEqual(refused?.kind, .tooLarge)
        XCTAssertEqual(refused?.reason, "a.bin: more than the 999 bytes the manifest gives; reading stopped")
        let short = error(serving: announced, limit: 1000)
        XCTAssertEqual(short?.isTransient, true)
        XCTAssertEqual(short?.reason, "a.bin: body of 10 bytes, expected 1000")
        let huge = error(serving: response(["HTTP/1.1 200 OK", "Content-Length: 99999999999999999999999999"], [1]))
        XCTAssertEqual(huge?.kind, .tooLarge, "a length past Int.max is larger than any limit")
        for lengths in [["12", "13"], ["-1"], ["0x10"]] {
            let failure = error(serving: response(["HTTP/1.1 200 OK"] + lengths.map { "Content-Length: \($0)" }, []))
            XCTAssertTrue(failure?.reason.contains("malformed HTTP response: Content-Length") ?? false, "\(String(describing: failure))")
        }
        server.inject([.raw(response(["HTTP/1.1 200 OK", "Content-Length: 3, 3"], [1, 2, 3, 4, 5]))], for: "a.bin")
        XCTAssertEqual(try source.fetch("a.bin", maximumBytes: 3), [1, 2, 3], "bytes past the length are not kept")
        let gzip = error(serving: response(["HTTP/1.1 200 OK", "Content-Encoding: gzip", "Content-Length: 1"], [1]))
        XCTAssertEqual(gzip?.isTransient, false)
        XCTAssertTrue(gzip?.reason.contains("gzip content coding") ?? false, "\(String(describing: gzip))")
    }

    func testStatusesResetsAndRefusedConnections() throws {
        XCTAssertEqual(error(serving: response(["HTTP/1.1 404 Not Found", "Content-Length: 0"]))?.isTransient, false)
        XCTAssertEqual(error(serving: response(["HTTP/1.1 503 Busy", "Content-Length: 0"]))?.isTransient, true)
        for sent in [0, 100] {
            server.inject([.reset(afterBytes: sent)], for: "a.bin")
            XCTAssertThrowsError(try source.fetch("a.bin", maximumBytes: file.count)) { error in
                XCTAssertEqual((error as? ShardFetchError)?.isTransient, true)
                XCTAssertTrue("\(error)".contains("Connection reset by peer"), "\(error)")
            }
        }
        server.stop()
        XCTAssertThrowsError(try source.fetch("a.bin", maximumBytes: file.count)) { error in
            XCTAssertEqual((error as? ShardFetchError)?.isTransient, true)
            XCTAssertTrue("\(error)".contains("connecting to 127.0.0.1:\(server.port) failed: Connection refused"), "\(error)")
        }
    }

    func testAnIPv6LoopbackServerIsReached() throws {
        let sixServer: LoopbackHTTPServer
        do { sixServer = try LoopbackHTTPServer(directory: directory.url.path, ipv6: true) } catch {
            throw XCTSkip("no IPv6 loopback on this machine: \(error)")
        }
        defer { sixServer.stop() }
        XCTAssertTrue(sixServer.url("a.bin").absoluteString.hasPrefix("http://[::1]:"))
        let six = HTTPShardSource(manifestURL: sixServer.url("manifest.json"), stallTimeout: 5)
        XCTAssertEqual(try six.fetch("a.bin", maximumBytes: file.count), file)
        XCTAssertTrue(sixServer.requestHeads["a.bin"]?.contains("\r\nHost: [::1]:\(sixServer.port)\r\n") ?? false)
    }
}
