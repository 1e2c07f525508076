import Dispatch
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP download that stops reading, and fails, once the body would exceed `limit` bytes
/// (announced by Content-Length or counted as it arrives), so a body without a length that never
/// ends is cut at the size the manifest gives. Used by `HTTPShardSource`, which waits on `done`
/// and abandons the transfer when no byte arrived for the stall timeout.
final class BoundedDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let name: String
    let limit: Int
    /// Signalled once, when the outcome is known (the task ended, or it failed early).
    let done = DispatchSemaphore(value: 0)
    /// Signalled when URLSession reports the task complete (after any cancel).
    let completed = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var expectedLength: Int64 = -1
    private var failure: ShardFetchError?
    private var finished = false
    private var cancelled = false
    private var lastProgress = DispatchTime.now().uptimeNanoseconds

    /// The transfer's limits and messages (URLSession's own idle timeout is its stall timeout).
    let transfer: HTTPTransfer

    init(transfer: HTTPTransfer, limit: Int) {
        name = transfer.name
        self.limit = limit
        self.transfer = transfer
    }

    /// The failure for a transfer that received nothing for the stall timeout.
    func stalled() -> ShardFetchError { transfer.stalled() }

    /// The body, or why there is none.
    func outcome() -> Result<[UInt8], ShardFetchError> {
        lock.lock()
        defer { lock.unlock() }
        if let failure { return .failure(failure) }
        return .success(Array(body))
    }

    /// Cancels `task` once, whoever asks first (a delegate callback or the waiting caller):
    /// FoundationNetworking traps on a cancel that races another.
    func cancelOnce(_ task: URLSessionTask) {
        lock.lock()
        let first = !cancelled
        cancelled = true
        lock.unlock()
        if first { task.cancel() }
    }

    /// Seconds since the response or the last body bytes arrived (or since the start).
    var idleSeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return Double(DispatchTime.now().uptimeNanoseconds - lastProgress) / 1e9
    }

    /// Ends the download with `error` (the first failure wins) and wakes the waiter; later data
    /// is ignored, so nothing more is kept in memory.
    func finish(_ error: ShardFetchError?) {
        lock.lock()
        if let error, failure == nil { failure = error }
        let signal = !finished
        finished = true
        if failure != nil { body = Data() }
        lock.unlock()
        if signal { done.signal() }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            if !(200..<300).contains(http.statusCode) {
                finish(ShardFetchError(isTransient: http.statusCode >= 500, reason: "\(name): HTTP \(http.statusCode)"))
                completionHandler(.cancel)
                return cancelOnce(dataTask)
            }
            if http.expectedContentLength > Int64(limit) {
                finish(.oversized(name, limit: limit))
                completionHandler(.cancel)
                return cancelOnce(dataTask)  // .cancel alone left libcurl draining the body
            }
            lock.lock()
            expectedLength = http.expectedContentLength
            lastProgress = DispatchTime.now().uptimeNanoseconds
            lock.unlock()
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let ignored = finished
        let over = body.count + data.count > limit
        if !ignored && !over {
            transfer.progress.add(data.count)
            body.append(data)
            lastProgress = DispatchTime.now().uptimeNanoseconds
        }
        lock.unlock()
        if !ignored && over {
            finish(.oversized(name, limit: limit))
            cancelOnce(dataTask)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        var outcome: ShardFetchError?
        if !finished {
            if let error, (error as NSError).code == NSURLErrorTimedOut {
                outcome = stalled()
            } else if let error {
                outcome = ShardFetchError(isTransient: true, reason: "\(name): \(error.localizedDescription)")
            } else if expectedLength >= 0 && Int64(body.count) != expectedLength {
                outcome = ShardFetchError(isTransient: true, reason: "\(name): body of \(body.count) bytes, expected \(expectedLength)")
            }
        }
        lock.unlock()
        finish(outcome)
        completed.signal()
    }
}
