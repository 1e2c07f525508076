import Checkpoints
import Foundation

extension TrainingRun {
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
            throw CheckpointError(
                .occupied, path: checkpointDirectory,
                reason: "holds \(earlier.count) checkpoint(s) of an earlier run (newest \(newest)); a new run would mix with them",
                fix: "continue it with --resume, train into another --run-dir (or pipeline name), or pass --restart to move them aside")
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
        if let checkpoint = try store.loadLatest() { return checkpoint }
        guard let newest = store.problems.first else {
            reporter.line("note: --resume found no checkpoint in \(store.directory) yet; starting from the beginning")
            return nil
        }
        throw CheckpointError(
            newest.kind, path: store.directory,
            reason: "every checkpoint is damaged (\(store.problems.count)); the newest: \(newest.path): \(newest.reason)",
            fix: "restore the folder from a backup, or start over with --restart (moves them aside)")
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
