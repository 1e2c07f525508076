import Dispatch
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP download that stops reading, and fails, once the body would exceed `limit` bytes
/// (announced by Content-Length or counted as it arrives). Used by `HTTPShardSource`.
final class BoundedDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let name: String
    let limit: Int
    /// Signalled when the task has ended.
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var expectedLength: Int64 = -1
    private var failure: ShardFetchError?

    init(name: String, limit: Int) {
        self.name = name
        self.limit = limit
    }

    /// The body, or why there is none.
    func outcome() -> Result<[UInt8], ShardFetchError> {
        lock.lock()
        defer { lock.unlock() }
        if let failure { return .failure(failure) }
        return .success(Array(body))
    }

    private func fail(_ error: ShardFetchError) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            if !(200..<300).contains(http.statusCode) {
                fail(ShardFetchError(isTransient: http.statusCode >= 500, reason: "\(name): HTTP \(http.statusCode)"))
                return completionHandler(.cancel)
            }
            if http.expectedContentLength > Int64(limit) {
                fail(.oversized(name, limit: limit))
                completionHandler(.cancel)
                return dataTask.cancel()  // .cancel alone left libcurl draining the body
            }
            lock.lock()
            expectedLength = http.expectedContentLength
            lock.unlock()
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let over = body.count + data.count > limit
        if !over { body.append(data) }
        lock.unlock()
        if over {
            fail(.oversized(name, limit: limit))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if failure == nil {
            if let error {
                failure = ShardFetchError(isTransient: true, reason: "\(name): \(error.localizedDescription)")
            } else if expectedLength >= 0 && Int64(body.count) != expectedLength {
                failure = ShardFetchError(isTransient: true, reason: "\(name): body of \(body.count) bytes, expected \(expectedLength)")
            }
        }
        lock.unlock()
        done.signal()
    }
}
