/// A problem with input data: which file, where in it, what is wrong, and what to do.
///
/// Every loader in `DataPipeline` reports bad input with this one type, never by crashing.
public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The category of the problem.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The file or directory does not exist.
        case notFound
        /// The file could not be opened or read (permissions, I/O error).
        case unreadable
        /// An output (a file, standard output) could not be written or replaced.
        case unwritable
        /// The file has zero bytes.
        case emptyFile
        /// The file is not a PNG (no PNG signature).
        case notPNG
        /// The file is not a JPEG (no start-of-image marker).
        case notJPEG
        /// The file starts with neither a PNG nor a JPEG signature (an image folder's files are
        /// told apart by their first bytes, not their names).
        case notImage
        /// The data ends before the format says it should.
        case truncated
        /// The data is damaged (CRC mismatch, invalid compressed stream, bad chunk).
        case corrupt
        /// The image header declares more pixels than the configured limit.
        case tooLarge
        /// A dataset root holds no class folders, or a class folder holds no usable files.
        case emptyDataset
        /// Images of one dataset have different sizes and no fixed output size was given.
        case inconsistentShape
        /// A CSV row has a different number of fields than the header.
        case raggedRow
        /// A numeric CSV field holds text.
        case notANumber
        /// A numeric field is NaN or infinite and the policy forbids it.
        case nonFinite
        /// A field is empty and no fill value was given.
        case emptyField
        /// A quoted CSV field is not closed.
        case unterminatedQuote
        /// A quote character appears inside an unquoted field, or text follows a closing quote.
        case misplacedQuote
        /// A label is not one of the known classes.
        case unknownLabel
        /// A named or numbered column does not exist.
        case unknownColumn
        /// The error budget of a skipping policy was exceeded.
        case tooManyBadSamples
        /// A setting is invalid.
        case invalidOption
    }

    /// The category.
    public var kind: Kind
    /// The file (or directory) concerned.
    public var path: String
    /// The 1-based line, for text formats.
    public var line: Int?
    /// The 1-based column (field number for CSV).
    public var column: Int?
    /// The byte offset in the file where the problem was found.
    public var byteOffset: Int?
    /// What is wrong, in the underlying library's or format's words.
    public var reason: String
    /// What the user can do about it.
    public var fix: String

    /// Creates an error.
    public init(_ kind: Kind, path: String, line: Int? = nil, column: Int? = nil, byteOffset: Int? = nil, reason: String, fix: String) {
        self.kind = kind
        self.path = path
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
        self.reason = reason
        self.fix = fix
    }

    /// `path:line:column: reason (byte offset N); fix`.
    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        let offset = byteOffset.map { " (byte offset \($0))" } ?? ""
        return "\(location): \(reason)\(offset); \(fix)"
    }
}
