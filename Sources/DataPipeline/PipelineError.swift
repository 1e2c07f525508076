/// A pipeline failure that is not a data error.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// No batch arrived within the configured wait.
    case timedOut(seconds: Double)
    /// A saved state does not fit this pipeline.
    case incompatibleState(String)

    /// A one-line explanation with the fix.
    public var description: String {
        switch self {
        case .timedOut(let seconds):
            return "no batch arrived within \(seconds) s: the data source may be stalled; raise waitTimeout or check the source"
        case .incompatibleState(let reason):
            return "cannot resume: \(reason); resume with the dataset the state was saved with"
        }
    }
}
