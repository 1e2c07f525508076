import Synchronization

/// Float buffers kept between training steps so layers do not allocate (and page-fault) large
/// arrays every step. A buffer is taken for as long as something needs it (a pullback) and
/// given back after; a second concurrent user simply gets a new buffer.
final class ScratchPool: Sendable {
    private let spare = Mutex<[[Float]]>([])

    /// A buffer of at least `count` elements (contents undefined).
    func take(_ count: Int) -> [Float] {
        let reused = spare.withLock { buffers -> [Float]? in
            guard let index = buffers.firstIndex(where: { $0.count >= count }) else { return nil }
            return buffers.remove(at: index)
        }
        return reused ?? [Float](repeating: 0, count: count)
    }

    /// Returns a buffer for later use (at most two are kept).
    func give(_ buffer: [Float]) {
        spare.withLock { buffers in
            if buffers.count < 2 { buffers.append(buffer) }
        }
    }
}
