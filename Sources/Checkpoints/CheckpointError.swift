/// A checkpoint that cannot be written, read or applied: which file, what is wrong, what to do.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The category of the problem.
    public enum Kind: String, Sendable, Codable {
        /// No checkpoint, or a file of one, is where it should be.
        case notFound
        /// A file's structure is invalid (header, offsets, sizes, JSON).
        case corrupt
        /// A file's CRC32 differs from the manifest's.
        case checksumMismatch
        /// A dtype other than those Millrace reads.
        case unsupportedType
        /// The checkpoint's tensors do not fit the model (missing, unexpected, shapes).
        case incompatible
        /// The disk refused (full, permissions, I/O error).
        case io
        /// Another process holds the directory's lock (a run in progress).
        case locked
        /// The directory already holds another run's checkpoints.
        case occupied
    }

    /// The category.
    public var kind: Kind
    /// The file or directory concerned.
    public var path: String
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates an error.
    public init(_ kind: Kind, path: String, reason: String, fix: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
        self.fix = fix
    }

    /// `path: reason; fix`.
    public var description: String { "\(path): \(reason); \(fix)" }
}
