import Synchronization

/// FFCV's quasi-random order, for samples read through the page cache (a uint8 pack's mapped
/// shards): each run of the `StorageLayout` (a shard) is cut into windows of consecutive samples
/// spanning `windowPages` pages of 4096 bytes (`windowSamples` samples each, the run's last window
/// shorter); every epoch reads the windows in a seeded order and the samples of each window in a
/// seeded order. A batch then touches one or two windows' pages instead of pages all over the
/// pack, while every sample is still read once per epoch.
///
/// It is the order of a chunked dataset (`WindowedChunkSampler`) with each window as a chunk
/// shuffled on its own, so, like every order, a pure function of (seed, epoch, position): a
/// pipeline resumes at any position, and ranks of a data-parallel run slice the same batches.
public final class PageAwareSampler: Sampler {
    /// The page of the windows: a fixed 4096 bytes, whatever the machine's page size, so that
    /// the order is the same on every machine.
    public static let pageBytes = 4096
    /// The window used when none is given: 2048 pages (8 MiB).
    public static let defaultWindowPages = 2048

    /// The layout the windows are cut from.
    public let layout: StorageLayout
    /// Pages per window.
    public let windowPages: Int
    /// Samples per window (at least 1): as many whole samples as `windowPages` pages hold.
    public let windowSamples: Int
    /// The seed.
    public let seed: UInt64
    /// The windows as chunks, each shuffled on its own.
    private let windows: WindowedChunkSampler
    /// The first dataset index of each window.
    private let windowStarts: [Int]
    /// The last epoch's plan (orders are asked for one batch at a time, from the producer).
    private let cached = Mutex<(epoch: Int, plan: WindowPlan)?>(nil)

    /// The order of `layout`'s samples in windows of `windowPages` pages (at least 1).
    public init(layout: StorageLayout, windowPages: Int, seed: UInt64) {
        self.layout = layout
        self.windowPages = max(windowPages, 1)
        self.seed = seed
        let windowBytes = self.windowPages.multipliedReportingOverflow(by: PageAwareSampler.pageBytes)
        windowSamples = windowBytes.overflow ? Int.max : max(1, windowBytes.partialValue / max(layout.sampleBytes, 1))
        var counts: [Int] = []
        var starts: [Int] = []
        var start = 0
        for run in layout.runs {
            var taken = 0
            while taken < run {
                let count = min(windowSamples, run - taken)
                counts.append(count)
                starts.append(start + taken)
                taken += count
            }
            start += run
        }
        windows = WindowedChunkSampler(chunkCounts: counts, windowChunks: 1, seed: seed)
        windowStarts = starts
    }

    /// Positions per epoch: every sample once.
    public var count: Int { layout.runs.reduce(0, +) }

    /// The number of windows.
    public var windowCount: Int { windowStarts.count }

    /// The dataset index at `position` of `epoch`.
    public func index(at position: Int, epoch: Int) -> Int {
        indices(at: [position], epoch: epoch)[0]
    }

    /// The dataset indices at `positions` of `epoch`, the epoch's plan made once.
    public func indices(at positions: [Int], epoch: Int) -> [Int] {
        let plan = cached.withLock { cached in
            if let cached, cached.epoch == epoch { return cached.plan }
            let plan = windows.plan(epoch: epoch)
            cached = (epoch, plan)
            return plan
        }
        return positions.map { position in
            let address = plan.address(of: position)
            return windowStarts[address.chunk] + address.row
        }
    }
}
