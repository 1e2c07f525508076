import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Waits until `condition` holds, checking it every millisecond; false if it still does not
/// hold after `timeout` seconds. The timeout only guards against a hang: a test asserts the
/// result, so a correct program passes however slow the machine is.
@discardableResult
public func waitUntil(timeout: Double = 120, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() >= deadline { return false }
        var request = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        _ = nanosleep(&request, nil)
    }
    return true
}
