extension CheckpointStore {
    /// The most damaged checkpoints an error names one by one (the rest are counted).
    static let damageListLimit = 10

    /// `loadLatest()`, except that when checkpoints exist and every one is damaged it throws one
    /// error naming each of them (the file and what is wrong with it, newest first) with `fix`,
    /// instead of returning nil: nil means the directory holds no checkpoint at all.
    public func loadLatestUndamaged(fix: String) throws(CheckpointError) -> LoadedCheckpoint? {
        if let checkpoint = try loadLatest() { return checkpoint }
        guard let newest = problems.first else { return nil }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var listed = problems.prefix(CheckpointStore.damageListLimit).map { problem in
            let file = problem.path.hasPrefix(prefix) ? String(problem.path.dropFirst(prefix.count)) : problem.path
            // One line: a reason quoting a decoder's message may hold line breaks.
            return "\(file): \(problem.reason)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
        if problems.count > CheckpointStore.damageListLimit { listed.append("and \(problems.count - CheckpointStore.damageListLimit) more") }
        throw CheckpointError(
            newest.kind, path: directory, reason: "every checkpoint is damaged (\(problems.count)): \(listed.joined(separator: "; "))", fix: fix)
    }
}
