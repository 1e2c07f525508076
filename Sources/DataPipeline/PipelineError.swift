/// A pipeline failure that is not a data error.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// No batch arrived within the configured wait.
    case timedOut(seconds: Double)
    /// A saved state does not fit this pipeline.
    case incompatibleState(String)
    /// The batches already go to an `asyncBatches` iterator: a pipeline has one consumer.
    case alreadyConsumed

    /// A one-line explanation with the fix.
    public var description: String {
        switch self {
        case .timedOut(let seconds):
            return "no batch arrived within \(seconds) s: the data source may be stalled; raise waitTimeout or check the source"
        case .incompatibleState(let reason):
            return "cannot resume: \(reason); resume with the dataset the state was saved with"
        case .alreadyConsumed:
            return
                "the pipeline's batches already go to an asyncBatches iterator, and a pipeline has one consumer: read every batch from that iterator, or make another pipeline"
        }
    }
}
