import Synchronization

/// Float buffers kept between training steps so layers do not allocate (and page-fault) large
/// arrays every step. A buffer is taken for as long as something needs it (a pullback) and
/// given back after; a second concurrent user simply gets a new buffer.
final class ScratchPool: Sendable {
    private let spare = Mutex<[[Float]]>([])

    /// A buffer of at least `count` elements (contents undefined).
    func take(_ count: Int) -> [Float] {
        let reused = spare.withLock { buffers -> [Float]? in
            // The smallest buffer that fits, so a small request does not take a large buffer away.
            var best: Int?
            for index in buffers.indices where buffers[index].count >= count {
                if best.map({ buffers[index].count < buffers[$0].count }) ?? true { best = index }
            }
            return best.map { buffers.remove(at: $0) }
        }
        return reused ?? [Float](repeating: 0, count: count)
    }

    /// Returns a buffer for later use (at most four are kept: the largest).
    func give(_ buffer: [Float]) {
        spare.withLock { buffers in
            buffers.append(buffer)
            if buffers.count > 4 {
                buffers.remove(at: buffers.indices.min { buffers[$0].count < buffers[$1].count }!)
            }
        }
    }
}
