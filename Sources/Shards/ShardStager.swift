import DataPipeline
import Dispatch
import Foundation
import ImageFormats
import SystemIO
import TabularFormats

/// Keeps the shards a pipeline needs next in a local cache directory within a disk budget:
/// downloads ahead in the pipeline's order on a background thread, verifies each shard's size and
/// CRC32 (a mismatch is fetched once more, then fails), writes under a temporary name and renames,
/// and deletes a shard once the pipeline has consumed it. Transient errors are retried with
/// backoff (`attempts` tries, 50 ms doubling between them); once one shard has failed every
/// attempt with a transient error (a dead or stalled server, a failing resolver, a trickle below
/// the minimum rate), the source is taken as failing and no other shard is tried: each fails at
/// once with that error, so a dead server costs one shard's attempts, not every shard's.
/// Disk use (staged shards plus the one being fetched) never exceeds the budget.
/// The fetch thread keeps the stager alive: call `stop()` when done with it.
public final class ShardStager: @unchecked Sendable {
    /// The packed dataset's manifest.
    public let manifest: ShardManifest
    /// The cache directory.
    public let directory: String
    /// The disk budget in bytes.
    public let budgetBytes: Int
    /// The source.
    public let source: any ShardSource
    /// Attempts per shard for transient errors.
    public let attempts: Int

    private let condition = NSCondition()
    var resident: [Int: Int] = [:]  // shard -> bytes on disk
    private var reserved = 0  // bytes of the fetch in progress
    private var upcoming: [Int] = []
    private var pinned = Set<Int>()  // handed to the pipeline, not yet consumed
    private var waiting = Set<Int>()  // asked for by a waiting caller
    private var failures: [Int: Error] = [:]
    /// The error of the shard that failed every attempt with a transient error, and its name.
    private var sourceFailure: (shard: String, error: DataError)?
    private var stopped = false
    private var fetcherRunning = false  // set when the thread starts: a failed init has no thread to wait for
    private var statistics = StagingStatistics()
    /// The files this cache wrote: the only ones it ever deletes or replaces.
    let cacheIndex: CacheIndex
    /// Raised by `stop()`: aborts the download in progress.
    private let cancellation = TransferCancellation()

    /// Opens the source's manifest and the cache. Throws when the budget cannot hold two shards.
    public init(source: any ShardSource, cacheDirectory: String, budgetBytes: Int, attempts: Int = 5) throws {
        self.source = source
        directory = cacheDirectory
        self.budgetBytes = budgetBytes
        self.attempts = max(1, attempts)
        let manifestAddress = source.address(of: "manifest.json")
        manifest = try ShardManifest.decode(
            try ShardStager.retrying(attempts: attempts, address: manifestAddress, name: "manifest.json") { try source.manifestBytes() },
            path: manifestAddress)
        let minimum = 2 * manifest.largestShardBytes
        guard budgetBytes >= minimum else {
            throw DataError(
                .invalidOption, path: cacheDirectory,
                reason: "a cache budget of \(budgetBytes) bytes cannot hold two shards of up to \(manifest.largestShardBytes) bytes",
                fix: "give at least \(minimum) bytes (--cache-budget \(minimum)), or pack smaller shards")
        }
        if let local = source.localDirectory { try ShardStager.checkPlacement(cache: cacheDirectory, source: local) }
        do { try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true) } catch {
            throw DataError(
                .unreadable, path: cacheDirectory,
                reason: "cannot create the staging cache directory: \(PathProblem.reason(creating: cacheDirectory, error: error))",
                fix: "give a --cache-dir that can be created and written")
        }
        cacheIndex = try CacheIndex(directory: cacheDirectory)
        try adoptEarlierFiles()
        fetcherRunning = true
        let thread = Thread { [self] in fetchLoop() }
        thread.name = "millrace.staging"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Stops the background fetcher, cancelling a download in progress (an HTTP transfer ends at
    /// once), and waits (up to a minute) for it to end, so that another stager can take over the
    /// cache directory.
    public func stop() {
        condition.lock()
        stopped = true
        cancellation.cancel()
        condition.broadcast()
        let deadline = Date().addingTimeInterval(60)
        while fetcherRunning && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// The local path of shard `index`'s file.
    public func path(ofShard index: Int) -> String { "\(directory)/\(manifest.shards[index].name)" }

    /// The shards to fetch next, in order (replacing the previous plan).
    public func schedule(_ order: [Int]) {
        condition.lock()
        upcoming = order
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until shard `index` is staged (fetching it first if needed) and returns its path.
    public func localPath(ofShard index: Int) throws -> String {
        let began = DispatchTime.now().uptimeNanoseconds
        condition.lock()
        defer { condition.unlock() }
        if resident[index] == nil && upcoming.first != index {
            upcoming.removeAll { $0 == index }
            upcoming.insert(index, at: 0)
            condition.broadcast()
        }
        waiting.insert(index)
        defer { waiting.remove(index) }
        condition.broadcast()
        while resident[index] == nil {
            if let failure = failures[index] { throw failure }
            if stopped {
                throw DataError(.unreadable, path: path(ofShard: index), reason: "staging was stopped", fix: "keep the stager alive while training")
            }
            condition.wait()
        }
        pinned.insert(index)
        statistics.waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        return path(ofShard: index)
    }

    /// Deletes shard `index`'s file: its samples have been consumed.
    public func release(_ index: Int) {
        condition.lock()
        // Consumed: drop it from the plan (its first occurrence) so it is not fetched again.
        if let position = upcoming.firstIndex(of: index) { upcoming.remove(at: position) }
        pinned.remove(index)
        if resident.removeValue(forKey: index) != nil {
            cacheIndex.remove(manifest.shards[index].name)
            statistics.shardsDeleted += 1
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Fetch figures so far.
    public var currentStatistics: StagingStatistics {
        condition.lock()
        defer { condition.unlock() }
        var copy = statistics
        copy.residentShards = resident.count
        copy.residentBytes = resident.values.reduce(0, +)
        return copy
    }

    private func fetchLoop() {
        while true {
            condition.lock()
            var next: Int?
            while !stopped {
                next = upcoming.first { resident[$0] == nil && failures[$0] == nil }
                if let candidate = next, makeRoom(for: candidate) { break }
                next = nil
                condition.wait()
            }
            if stopped {
                fetcherRunning = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let index = next!
            let shard = manifest.shards[index]
            reserved = shard.bytes
            condition.unlock()
            let began = DispatchTime.now().uptimeNanoseconds
            let outcome = Result { try download(shard) }
            condition.lock()
            reserved = 0
            switch outcome {
            case .success:
                resident[index] = shard.bytes
                statistics.bytesFetched += shard.bytes
                statistics.shardsFetched += 1
                statistics.fetchSeconds += Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            case .failure(let error):
                failures[index] = error
            }
            statistics.peakBytes = max(statistics.peakBytes, resident.values.reduce(0, +))
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Whether `candidate` fits in the budget; for a shard a caller is waiting for, makes room by
    /// deleting prefetched shards nobody holds, those needed last first. Called with the lock held.
    private func makeRoom(for candidate: Int) -> Bool {
        let size = manifest.shards[candidate].bytes
        func used() -> Int { resident.values.reduce(0, +) }
        if used() + size <= budgetBytes { return true }
        guard waiting.contains(candidate) else { return false }
        let victims = resident.keys.filter { !pinned.contains($0) && $0 != candidate }.sorted {
            (upcoming.firstIndex(of: $0) ?? Int.max) > (upcoming.firstIndex(of: $1) ?? Int.max)
        }
        for victim in victims where used() + size > budgetBytes {
            resident.removeValue(forKey: victim)
            cacheIndex.remove(manifest.shards[victim].name)
            statistics.shardsEvicted += 1
        }
        return used() + size <= budgetBytes
    }

    /// Fetches a shard (retrying transient errors), verifies it (one more fetch on a mismatch),
    /// and renames it into place.
    private func download(_ shard: ShardManifest.Shard) throws {
        var mismatches = 0
        while true {
            condition.lock()
            let failing = sourceFailure
            condition.unlock()
            if let failing {
                var error = failing.error
                error.reason += "; \(shard.name) and the other shards of this source were not tried"
                throw error
            }
            let markFailing = { (error: DataError) in
                self.condition.lock()
                if self.sourceFailure == nil { self.sourceFailure = (shard.name, error) }
                self.condition.unlock()
            }
            let bytes = try ShardStager.retrying(
                attempts: attempts, address: source.address(of: shard.name), name: shard.name, exhausted: markFailing
            ) { try source.fetch(shard.name, maximumBytes: shard.bytes, cancellation: cancellation) }
            guard bytes.count == shard.bytes && CRC32.checksum(bytes) == shard.crc32 else {
                mismatches += 1
                condition.lock()
                statistics.checksumRetries += 1
                condition.unlock()
                if mismatches < 2 { continue }
                throw DataError(
                    .corrupt, path: "\(source.location)/\(shard.name)",
                    reason:
                        "the shard's size or CRC32 differs from the manifest twice (\(bytes.count) bytes, CRC32 \(CRC32.checksum(bytes)); expected \(shard.bytes), \(shard.crc32))",
                    fix: "the served shard is damaged: pack and upload it again")
            }
            // Both names are recorded before the file exists, so that a crash leaves nothing
            // the next opening would take for a file it did not write.
            let temporaryName = "\(CacheIndex.temporaryPrefix)\(shard.name)-\(UInt32.random(in: 0...UInt32.max))"
            try cacheIndex.add([temporaryName, shard.name])
            let temporary = "\(directory)/\(temporaryName)"
            do { try Data(bytes).write(to: URL(fileURLWithPath: temporary)) } catch {
                cacheIndex.remove(temporaryName)
                let reason = PathProblem.reason(creating: temporary, error: error)
                throw DataError(
                    .unreadable, path: temporary, reason: "cannot write the downloaded shard: \(reason)",
                    fix: "check the cache directory's permissions and free space")
            }
            // rename(2) replaces an existing file atomically: a reader sees the old or the new shard.
            guard rename(temporary, "\(directory)/\(shard.name)") == 0 else {
                let reason = String(cString: strerror(errno))
                cacheIndex.remove(temporaryName)
                throw DataError(
                    .unreadable, path: "\(directory)/\(shard.name)",
                    reason: "cannot move the downloaded shard into place: \(reason)",
                    fix: "check the cache directory's permissions and free space")
            }
            cacheIndex.forget(temporaryName)
            return
        }
    }
}
