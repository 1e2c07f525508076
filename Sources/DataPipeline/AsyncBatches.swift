import Dispatch
import Tensors

extension BatchPipeline {
    /// The batches as an `AsyncSequence` (each `next()` waits on a Dispatch worker, not on the
    /// caller's thread).
    public var asyncBatches: AsyncBatches { AsyncBatches(pipeline: UncheckedSendable(self)) }
}

/// A pipeline's batches as an `AsyncSequence`.
public struct AsyncBatches: AsyncSequence, Sendable {
    /// Batches.
    public typealias Element = Batch
    let pipeline: UncheckedSendable<BatchPipeline>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let pipeline: UncheckedSendable<BatchPipeline>

        /// The next batch, or nil at the end.
        public mutating func next() async throws -> Batch? {
            let pipeline = self.pipeline
            return try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try pipeline.value.next() })
                }
            }
        }
    }

    /// Makes the iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipeline: pipeline) }
}
