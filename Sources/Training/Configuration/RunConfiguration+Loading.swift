import Foundation
import SystemIO

extension RunConfiguration {
    /// The largest pipeline file read (pipeline files are a few kilobytes; anything larger is
    /// the wrong file).
    public static let maximumFileBytes = 1 << 20

    /// Reads, decodes and checks a pipeline file. Relative paths inside it (the dataset and
    /// validation paths, `checkpoint.directory`, `logging.run_directory`) are resolved against the
    /// file's folder, as docker-compose and tsconfig resolve theirs (see `resolvingPaths`).
    /// Read as every input file is (`FileBytes`): a FIFO, socket or device is refused without
    /// opening it for a blocking read, a symbolic link loop is named as such.
    public static func load(path: String) throws(RunConfigurationError) -> RunConfiguration {
        let bytes: [UInt8]
        do { bytes = try FileBytes.contents(of: path, maximumBytes: maximumFileBytes) } catch {
            switch error.kind {
            case .tooLarge: throw tooLarge(path)
            case .notFound:
                throw RunConfigurationError(
                    path: path, key: nil, reason: "no such file", fix: "give a pipeline file (JSON), such as pipelines/digits-mlp.json")
            default:
                var isFolder: ObjCBool = false
                let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
                throw RunConfigurationError(
                    path: path, key: nil, reason: folder ? "a folder, not a pipeline file" : error.reason,
                    fix: "give a pipeline file (JSON), such as pipelines/digits-mlp.json")
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try decode(Data(bytes), path: path).resolvingPaths(relativeTo: folder)
    }

    /// The error for a pipeline file over `maximumFileBytes`.
    private static func tooLarge(_ path: String) -> RunConfigurationError {
        RunConfigurationError(
            path: path, key: nil, reason: "the file is larger than \(maximumFileBytes) bytes, too large for a pipeline file",
            fix: "give the pipeline file (JSON) here and the data with its \"path\" or --data")
    }

    /// The configuration with every relative path in it (the dataset and validation paths,
    /// `checkpoint.directory`, `logging.run_directory`) made absolute against `folder`, with `.`
    /// and `..` removed; absolute paths and http(s) URLs stay as they are. `load(path:)` applies
    /// it with the pipeline file's folder; configurations saved in run directories and checkpoints
    /// hold the resolved paths, and `decode` never resolves anything.
    public func resolvingPaths(relativeTo folder: String) -> RunConfiguration {
        var configuration = self
        let resolve = { (path: String?) in path.map { RunConfiguration.resolve($0, against: folder) } }
        configuration.dataset.path = resolve(dataset.path)
        configuration.dataset.validationPath = resolve(dataset.validationPath)
        configuration.checkpoint?.directory = resolve(checkpoint?.directory)
        configuration.logging?.runDirectory = resolve(logging?.runDirectory)
        return configuration
    }

    /// `path` made absolute against `folder` (itself made absolute against the current folder).
    static func resolve(_ path: String, against folder: String) -> String {
        if path.isEmpty || path.hasPrefix("/") || DataKind.isURL(path) { return path }
        let base = URL(fileURLWithPath: folder.isEmpty ? "." : folder, isDirectory: true)
        return base.appendingPathComponent(path).standardizedFileURL.path
    }

    /// Decodes and checks pipeline-file JSON (`path` names it in errors).
    public static func decode(_ data: Data, path: String) throws(RunConfigurationError) -> RunConfiguration {
        guard data.count <= maximumFileBytes else { throw tooLarge(path) }
        if let problem = StrictJSON.firstProblem(in: [UInt8](data)) {
            throw RunConfigurationError(
                path: path, key: problem.keyPath,
                reason: "at line \(problem.line), column \(problem.column) (byte \(problem.byteOffset)): \(problem.reason)", fix: problem.fix)
        }
        do { _ = try JSONSerialization.jsonObject(with: data) } catch {
            throw RunConfigurationError(
                path: path, key: nil, reason: "not valid JSON\(syntaxPosition(of: error, in: data))", fix: "fix the JSON syntax")
        }
        let configuration: RunConfiguration
        do {
            configuration = try JSONDecoder().decode(RunConfiguration.self, from: data)
        } catch let error as AbsoluteSpecificationError {
            throw RunConfigurationError(path: path, error.error)
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            throw RunConfigurationError(
                path: path, key: keyPath(context.codingPath), reason: "expected \(describe(type))", fix: "give the key a value of that type")
        } catch let DecodingError.keyNotFound(key, context) {
            throw RunConfigurationError(
                path: path, key: AnyCodingKey.path(context.codingPath + [key]), reason: "required key is missing", fix: "add it")
        } catch let DecodingError.dataCorrupted(context) {
            let reason =
                context.codingPath.isEmpty
                ? "a value does not fit its key's type (a fraction where an integer belongs, or a number too large)" : context.debugDescription
            throw RunConfigurationError(path: path, key: keyPath(context.codingPath), reason: reason, fix: "give a value of the right type and range")
        } catch {
            throw RunConfigurationError(path: path, key: nil, reason: "\(error)", fix: "check the file against pipelines/README.md")
        }
        try configuration.validate(path: path)
        return configuration
    }

    /// The configuration as pretty JSON (snake_case keys), as saved in run directories and
    /// checkpoints; `decode` reads it back to an equal configuration.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func keyPath(_ codingPath: [any CodingKey]) -> String? {
        codingPath.isEmpty ? nil : AnyCodingKey.path(codingPath)
    }

    /// ` at line L, column C (byte B): what` from JSONSerialization's "around character B" text.
    static func syntaxPosition(of error: any Error, in data: Data) -> String {
        let text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        guard let range = text.range(of: "character "), let offset = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            return ": \(text)"
        }
        let bytes = data.prefix(min(offset, data.count))
        let line = bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let column = offset - (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 - data.startIndex + 1 } ?? 0) + 1
        return " at line \(line), column \(column) (byte \(offset)): \(text)"
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)".contains("Array") ? "a list" : "an object"
        }
    }
}
