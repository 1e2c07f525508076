import Checkpoints
import Foundation
import Shards
import SystemIO

extension TrainingRun {
    /// Refuses, before any folder or lock file is made, a run or checkpoint directory that is,
    /// lies inside or contains the training or validation data (an image folder, a CSV file, a
    /// local packed folder; real paths compared), and, for packed data, a staging cache that
    /// overlaps the data, or a run or checkpoint directory that is or lies inside the cache (the
    /// cache lies inside the run directory by default). A run writes checkpoints, logs and a lock
    /// file into its folders: inside the data they would be read as data, or the data swept as
    /// an earlier run's files.
    static func checkPlacement(
        runDirectory: String, checkpointDirectory: String, cacheDirectory: String, location: TrainingData.Location, advice: RunAdvice
    ) throws(DataError) {
        var training: String?
        if location.kind != .xor, let path = location.path, !DataKind.isURL(path) {
            training = location.kind == .packed && path.hasSuffix("/manifest.json") ? String(path.dropLast("/manifest.json".count)) : path
        }
        let validation = location.validationPath.flatMap { DataKind.isURL($0) ? nil : $0 }
        let data = [training.map { ($0, "the training data") }, validation.map { ($0, "the validation data") }].compactMap { $0 }
        let folders = [
            (runDirectory, "the run directory", advice.runDirectory, "runs/<name> under the current folder"),
            (checkpointDirectory, "the checkpoint directory", advice.checkpointDirectory, "<run dir>/checkpoints"),
        ]
        for (folder, role, flag, usual) in folders {
            for (path, dataRole) in data {
                try PathOverlap.refuse(
                    folder, as: role, overlapping: path, named: dataRole,
                    fix: "give a \(flag) apart from the data (the default is \(usual)), or move the data")
            }
        }
        guard location.kind == .packed else { return }
        if let training { try ShardStager.checkPlacement(cache: cacheDirectory, source: training) }
        if let validation {
            try PathOverlap.refuse(
                cacheDirectory, as: "the staging cache directory", overlapping: validation, named: "the validation data",
                fix: "give a \(advice.cacheDirectory) apart from the data (the default is <run dir>/cache)")
        }
        for (folder, role, flag, _) in folders {
            try PathOverlap.refuse(
                folder, as: role, overlapping: cacheDirectory, named: "the staging cache directory", allowing: [.contains],
                fix: "give a \(flag) outside the staging cache, or another \(advice.cacheDirectory) (the default is <run dir>/cache)")
        }
    }

    /// Locks the run and checkpoint directories for this process (rank 0 of a data-parallel run;
    /// the other ranks write nothing there), then makes sure a run that does not resume starts
    /// in an empty checkpoint directory: an earlier run's checkpoints are refused unless
    /// `restart` asks to move them aside (`moveEarlierCheckpointsAside`, called once everything
    /// else about the run has been checked, so a refused run moves nothing). Returns the locks.
    static func claim(runDirectory: String, checkpointDirectory: String, overrides: TrainingOverrides, isFirstRank: Bool)
        throws(CheckpointError) -> HeldLocks
    {
        let locks = HeldLocks()
        guard isFirstRank else { return locks }
        locks.held.append(try DirectoryLock(directory: runDirectory))
        // One lock per folder: a second flock on the same file in this process would refuse it.
        if canonical(checkpointDirectory) != canonical(runDirectory) {
            locks.held.append(try DirectoryLock(directory: checkpointDirectory, role: "checkpoint"))
        }
        guard !overrides.resume else { return locks }
        let earlier = try CheckpointStore(directory: checkpointDirectory, mode: .readOnly).stepFolders()
        guard let newest = earlier.first else { return locks }
        guard overrides.restart else {
            let advice = overrides.advice
            throw CheckpointError(
                .occupied, path: checkpointDirectory,
                reason: "holds \(earlier.count) checkpoint(s) of an earlier run (newest \(newest)); a new run would mix with them",
                fix: "continue it with \(advice.resume), train into another \(advice.runDirectory)"
                    + (advice == .commandLine ? " (or pipeline name)" : "") + ", or pass \(advice.restart) to move them aside")
        }
        return locks
    }

    /// Under `restart` (rank 0 only), moves an earlier run's checkpoints aside and returns where.
    static func moveEarlierCheckpointsAside(checkpointDirectory: String, overrides: TrainingOverrides, isFirstRank: Bool)
        throws(CheckpointError) -> String?
    {
        guard isFirstRank, overrides.restart, !overrides.resume else { return nil }
        guard try !CheckpointStore(directory: checkpointDirectory, mode: .readOnly).stepFolders().isEmpty else { return nil }
        return try CheckpointStore.moveAside(directory: checkpointDirectory)
    }

    /// A path with symbolic links and `..` resolved (the path itself if it cannot be).
    private static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The checkpoint `--resume` continues from: the newest that verifies. With none yet (a
    /// requeued job that never saved) training starts from the beginning with a note; when
    /// checkpoints exist but every one is damaged, an error names the damage instead of
    /// silently starting over.
    func resumableCheckpoint(reporter: ProgressReporter) throws(CheckpointError) -> LoadedCheckpoint? {
        let fix = "restore the folder from a backup, or start over with \(overrides.advice.restart) (moves them aside)"
        if let checkpoint = try store.loadLatestUndamaged(fix: fix) { return checkpoint }
        reporter.line("note: \(overrides.advice.resume) found no checkpoint in \(store.directory) yet; starting from the beginning")
        return nil
    }
}

/// The locks a run holds, released newest first (the checkpoint directory's before the run
/// directory's that may hold it), so that each can remove the empty folders it created.
final class HeldLocks {
    /// The locks, oldest first.
    var held: [DirectoryLock] = []

    deinit {
        for lock in held.reversed() { lock.release() }
    }
}
