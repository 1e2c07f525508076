/// A pipeline file that cannot be used: the file, the key, what is wrong and what to do.
public struct RunConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The dotted key (`pipeline.batch_size`, `model.layers[3].kernel`), if the problem has one.
    public var key: String?
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates the error.
    public init(path: String, key: String?, reason: String, fix: String) {
        self.path = path
        self.key = key
        self.reason = reason
        self.fix = fix
    }

    /// The error of `problem` in the file at `path`.
    public init(path: String, _ problem: SpecificationError) {
        self.init(path: path, key: problem.key, reason: problem.reason, fix: problem.fix)
    }

    /// `file: key 'k': reason; fix`.
    public var description: String {
        "\(path): \(key.map { "key '\($0)': " } ?? "")\(reason); \(fix)"
    }
}
