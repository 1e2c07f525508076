import Dispatch
import Foundation
import Synchronization
import SystemIO

/// A directory of checkpoints, `step-<zero-padded step>/` each holding `model.safetensors`,
/// `optimizer.safetensors` and `manifest.json`, plus a `latest` pointer.
///
/// Every commit is atomic: files are written and fsynced in a temporary directory, the directory
/// is fsynced and renamed into place, then `latest` is replaced by rename; a crash at any moment
/// leaves either the old checkpoint or the new one, never a half-written one where a good one
/// was, and temporary directories left by a crash are removed when the owning store is opened
/// (`.readWrite`); a `.readOnly` store (for evaluate, predict, inspect) never creates, renames or
/// deletes anything, so it cannot break a live run's commit in progress. Saving
/// returns at once: the tensors are snapshotted (copy-on-write) and written on a background
/// queue; a failure there is thrown by the next `save` or by `waitUntilSaved`.
public final class CheckpointStore: @unchecked Sendable {
    /// Whether a store may change its directory.
    public enum Mode: Sendable, Equatable {
        /// The training process that owns the directory: creates it, cleans up after crashes,
        /// saves and applies retention.
        case readWrite
        /// A reader: lists and loads only; the directory must exist and is never changed.
        case readOnly
    }

    /// The directory.
    public let directory: String
    /// Whether this store may change its directory.
    public let mode: Mode
    /// Which checkpoints survive each commit.
    public let retention: RetentionPolicy
    /// Checkpoints that could not be loaded and were passed over (newest first).
    public private(set) var problems: [CheckpointError] = []

    private let queue = DispatchQueue(label: "millrace.checkpoints")
    private let pendingError = Mutex<CheckpointError?>(nil)
    private let lastSave = Mutex<(blocking: Double, total: Double)>((0, 0))

    static let temporaryPrefix = ".tmp-"
    static let pointerName = "latest"

    /// Opens `directory`. Under `.readWrite` (the default, for the training process that owns
    /// it) creates it if needed and removes temporary directories left by crashes; under
    /// `.readOnly` requires it to exist and changes nothing.
    public init(directory: String, retention: RetentionPolicy = RetentionPolicy(), mode: Mode = .readWrite) throws(CheckpointError) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.retention = retention
        self.mode = mode
        if mode == .readOnly {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: self.directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CheckpointError(
                    .notFound, path: self.directory, reason: "no such checkpoint directory", fix: "give a run's checkpoints directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(
                .io, path: self.directory,
                reason: "cannot create the checkpoint directory: \(PathProblem.reason(creating: self.directory, error: error))",
                fix: "give a checkpoint directory that can be created, or check the path and its permissions")
        }
        for name in DurableFile.list(self.directory) where name.hasPrefix(CheckpointStore.temporaryPrefix) {
            DurableFile.remove("\(self.directory)/\(name)")
        }
    }

    /// The directory name of a step's checkpoint.
    public static func name(ofStep step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// Seconds the last `save` call blocked its caller, and seconds its write took in all.
    public var lastSaveDuration: (blocking: Double, total: Double) { lastSave.withLock { $0 } }

    /// Snapshots `contents` and writes them in the background. At most one write is in flight:
    /// a save that comes while the previous one is still writing waits for it. Throws the failure
    /// of an earlier background write, if any (that save did not happen).
    public func save(_ contents: CheckpointContents) throws(CheckpointError) {
        guard mode == .readWrite else {
            throw CheckpointError(
                .io, path: directory, reason: "the store was opened read-only", fix: "open it read-write in the process that trains")
        }
        let began = DispatchTime.now().uptimeNanoseconds
        queue.sync {}
        if let failure = pendingError.withLock({ error -> CheckpointError? in
            defer { error = nil }
            return error
        }) {
            throw failure
        }
        let snapshot = contents  // tensors are copy-on-write values: this is the snapshot
        queue.async { [self] in
            do throws(CheckpointError) {
                try commit(snapshot)
                try applyRetention()
            } catch {
                pendingError.withLock { $0 = $0 ?? error }
            }
            lastSave.withLock { $0.total = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
        }
        lastSave.withLock { $0.blocking = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9 }
    }

    /// Waits for background writes and throws the first failure among them.
    public func waitUntilSaved() throws(CheckpointError) {
        queue.sync {}
        if let failure = pendingError.withLock({ error -> CheckpointError? in
            defer { error = nil }
            return error
        }) {
            throw failure
        }
    }

    /// Writes one checkpoint atomically (on the background queue, or directly in tests).
    func commit(_ contents: CheckpointContents) throws(CheckpointError) {
        let finalName = CheckpointStore.name(ofStep: contents.manifest.step)
        let temporary = "\(directory)/\(CheckpointStore.temporaryPrefix)\(finalName)-\(UInt64.random(in: 0...UInt64.max))"
        try DurableFile.makeDirectory(temporary)
        do throws(CheckpointError) {
            var manifest = contents.manifest
            for (file, tensors) in [("model.safetensors", contents.model), ("optimizer.safetensors", contents.optimizer)] {
                let bytes = Safetensors.encode(tensors, metadata: ["format": "pt", "writer": "millrace"])
                try DurableFile.write(bytes, to: "\(temporary)/\(file)")
                manifest.files[file] = CheckpointManifest.FileRecord(bytes: bytes.count, crc32: CRC32.checksum(bytes))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let manifestBytes: [UInt8]
            do { manifestBytes = Array(try encoder.encode(try manifest.sealed())) } catch {
                throw CheckpointError(.corrupt, path: temporary, reason: "cannot encode the manifest: \(error)", fix: "report this")
            }
            try DurableFile.write(manifestBytes, to: "\(temporary)/manifest.json")
            try DurableFile.syncDirectory(temporary)
            let target = "\(directory)/\(finalName)"
            var replaced: String?
            var existing = stat()
            if lstat(target, &existing) == 0 && (existing.st_mode & S_IFMT) != S_IFDIR {
                throw CheckpointError(
                    .io, path: target,
                    reason: "\(FileBytes.nonRegularKind(existing.st_mode) ?? "a file") is where this checkpoint's folder belongs",
                    fix: "move it away, or give another checkpoint directory")
            }
            if access(target, F_OK) == 0 {  // the same step saved again (after a resume): swap it out
                replaced = "\(directory)/\(CheckpointStore.temporaryPrefix)old-\(finalName)-\(UInt64.random(in: 0...UInt64.max))"
                try DurableFile.rename(target, to: replaced!)
            }
            try DurableFile.rename(temporary, to: target)
            try DurableFile.syncDirectory(directory)
            let pointer = "\(directory)/\(CheckpointStore.temporaryPrefix)latest-\(UInt64.random(in: 0...UInt64.max))"
            try DurableFile.write(Array(finalName.utf8), to: pointer)
            try DurableFile.replace(pointer, over: "\(directory)/\(CheckpointStore.pointerName)")
            try DurableFile.syncDirectory(directory)
            if let replaced { DurableFile.remove(replaced) }
        } catch {
            DurableFile.remove(temporary)
            throw error
        }
    }

    /// Complete checkpoints (with a readable manifest), oldest first.
    public func checkpoints() -> [CheckpointSummary] {
        DurableFile.list(directory).filter { $0.hasPrefix("step-") }.compactMap { name -> CheckpointSummary? in
            guard let manifest = try? CheckpointStore.readManifest("\(directory)/\(name)") else { return nil }
            return CheckpointSummary(name: name, step: manifest.step, createdAt: manifest.createdAt, metrics: manifest.metrics)
        }.sorted { $0.step < $1.step }
    }

    private func applyRetention() throws(CheckpointError) {
        let all = checkpoints()
        let keep = retention.survivors(of: all)
        for checkpoint in all where !keep.contains(checkpoint.step) {
            // Rename first so a crash mid-delete leaves only a temporary directory.
            let doomed = "\(directory)/\(CheckpointStore.temporaryPrefix)deleted-\(checkpoint.name)"
            try DurableFile.rename("\(directory)/\(checkpoint.name)", to: doomed)
            DurableFile.remove(doomed)
        }
    }

    /// The names of every `step-<n>` folder, loadable or not, newest (highest step) first.
    public func stepFolders() -> [String] {
        DurableFile.list(directory).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst("step-".count)) else { return nil }
            return (step, name)
        }.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// The newest checkpoint whose manifest and files all verify, or nil if there is none. Newer
    /// checkpoints that fail verification (a damaged manifest included) are passed over and
    /// listed in `problems`: nil with `problems` not empty means every checkpoint is damaged.
    public func loadLatest() throws(CheckpointError) -> LoadedCheckpoint? {
        problems = []
        var names = stepFolders()
        if let pointer = try? FileBytes.contents(of: "\(directory)/\(CheckpointStore.pointerName)", maximumBytes: 4096) {
            let named = String(decoding: pointer, as: UTF8.self)
            if let index = names.firstIndex(of: named), index != 0 {
                names.remove(at: index)
                names.insert(named, at: 0)
            }
        }
        for name in names {
            do throws(CheckpointError) {
                return try CheckpointStore.load(checkpoint: "\(directory)/\(name)")
            } catch {
                problems.append(error)
            }
        }
        return nil
    }

    /// Reads and verifies one checkpoint directory: the manifest, every file's size and CRC32,
    /// and the safetensors structure.
    public static func load(checkpoint path: String) throws(CheckpointError) -> LoadedCheckpoint {
        let manifest = try readManifest(path)
        guard manifest.formatVersion <= CheckpointManifest.currentFormatVersion else {
            throw CheckpointError(
                .corrupt, path: path,
                reason: "format version \(manifest.formatVersion) is newer than this Millrace reads (\(CheckpointManifest.currentFormatVersion))",
                fix: "use a newer Millrace")
        }
        var tensors: [String: [NamedTensor]] = [:]
        for file in ["model.safetensors", "optimizer.safetensors"] {
            let filePath = "\(path)/\(file)"
            guard let record = manifest.files[file] else {
                throw CheckpointError(.corrupt, path: path, reason: "the manifest lists no \(file)", fix: "use another checkpoint")
            }
            let bytes: [UInt8]
            do { bytes = try FileBytes.contents(of: filePath, maximumBytes: record.bytes) } catch {
                throw CheckpointError(
                    error.kind == .notFound ? .notFound : .corrupt, path: filePath, reason: error.reason, fix: "use another checkpoint")
            }
            guard bytes.count == record.bytes else {
                throw CheckpointError(
                    .corrupt, path: filePath, reason: "\(bytes.count) bytes, the manifest says \(record.bytes)",
                    fix: "the file is truncated: use another checkpoint")
            }
            let crc = CRC32.checksum(bytes)
            guard crc == record.crc32 else {
                throw CheckpointError(
                    .checksumMismatch, path: filePath, reason: "CRC32 \(crc) differs from the manifest's \(record.crc32)",
                    fix: "the file is damaged: use another checkpoint")
            }
            tensors[file] = try Safetensors.decode(bytes, path: filePath).tensors
        }
        return LoadedCheckpoint(
            path: path, manifest: manifest, model: tensors["model.safetensors"] ?? [], optimizer: tensors["optimizer.safetensors"] ?? [])
    }

    static func readManifest(_ path: String) throws(CheckpointError) -> CheckpointManifest {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: "\(path)/manifest.json", maximumBytes: 64 << 20) } catch {
            throw CheckpointError(
                error.kind == .notFound ? .notFound : .io, path: "\(path)/manifest.json", reason: error.reason, fix: "use another checkpoint")
        }
        let manifest: CheckpointManifest
        do { manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(bytes)) } catch {
            throw CheckpointError(.corrupt, path: "\(path)/manifest.json", reason: "invalid manifest: \(error)", fix: "use another checkpoint")
        }
        try manifest.verifySeal(path: "\(path)/manifest.json", bytes: bytes)
        return manifest
    }
}
