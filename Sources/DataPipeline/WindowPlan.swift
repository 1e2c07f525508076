/// The sample order of one epoch of a chunked source: a seeded order of chunks, cut into
/// windows of `windowChunks` consecutive chunks; the samples of each window are shuffled
/// together by an order keyed by (seed, epoch, window). Everything follows from (seed, epoch),
/// so a position is resolved without reading any chunk.
struct WindowPlan: Sendable {
    struct Window: Sendable {
        var chunks: [Int]
        var starts: [Int]  // start of each chunk's rows within the window
        var start: Int  // first epoch position of the window
        var count: Int
        var order: ShuffleOrder
    }

    let windows: [Window]
    let count: Int
    /// The window each chunk belongs to.
    let windowOfChunk: [Int]

    init(chunkCounts: [Int], windowChunks: Int, seed: UInt64, epoch: Int, shuffle: Bool, sequentialChunks: Bool = false) {
        let chunkOrder = ShuffleOrder(count: chunkCounts.count, seed: seed, stream: [UInt64(epoch), 1], shuffled: shuffle && !sequentialChunks)
        let ordered = (0..<chunkCounts.count).map(chunkOrder.index(at:))
        var windows: [Window] = []
        var windowOfChunk = [Int](repeating: 0, count: chunkCounts.count)
        var position = 0
        for (number, first) in stride(from: 0, to: ordered.count, by: max(windowChunks, 1)).enumerated() {
            let chunks = Array(ordered[first..<min(first + max(windowChunks, 1), ordered.count)])
            for chunk in chunks { windowOfChunk[chunk] = number }
            var starts: [Int] = []
            var total = 0
            for chunk in chunks {
                starts.append(total)
                total += chunkCounts[chunk]
            }
            let order = ShuffleOrder(count: total, seed: seed, stream: [UInt64(epoch), 2, UInt64(number)], shuffled: shuffle)
            windows.append(Window(chunks: chunks, starts: starts, start: position, count: total, order: order))
            position += total
        }
        self.windows = windows
        self.windowOfChunk = windowOfChunk
        count = position
    }

    /// The window holding epoch position `position`.
    func windowIndex(of position: Int) -> Int {
        var low = 0
        var high = windows.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if windows[middle].start <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The (chunk, row) at epoch position `position`.
    func address(of position: Int) -> (window: Int, chunk: Int, row: Int) {
        let w = windowIndex(of: position)
        let window = windows[w]
        let shuffled = window.order.index(at: position - window.start)
        var slot = window.starts.count - 1
        while window.starts[slot] > shuffled { slot -= 1 }
        return (w, window.chunks[slot], shuffled - window.starts[slot])
    }
}
