import Dispatch

extension BatchPipeline {
    /// The batches as an `AsyncSequence`, for one consumer: the first iterator made owns the
    /// stream, and a second iterator (or `next()`) is refused with
    /// `PipelineError.alreadyConsumed`. A cancelled task's iteration ends with `CancellationError`
    /// at once, even while it waits for a batch, and stops the producer.
    public var asyncBatches: AsyncBatches { AsyncBatches(pipeline: self) }
}

/// A pipeline's batches as an `AsyncSequence`. Not `Sendable`, like the pipeline it reads: one
/// task iterates it, and the pipeline accepts one iterator. Each `next()` waits for the batch on
/// a Dispatch worker, not on the caller's thread, and runs the rest in the caller's isolation.
public struct AsyncBatches: AsyncSequence {
    /// Batches.
    public typealias Element = Batch
    /// Data errors, `PipelineError` and `CancellationError`.
    public typealias Failure = any Error

    let pipeline: BatchPipeline

    /// The iterator: the pipeline's one consumer, or a refused second one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// Batches.
        public typealias Element = Batch
        /// Data errors, `PipelineError` and `CancellationError`.
        public typealias Failure = any Error

        let pipeline: BatchPipeline
        /// Whether this iterator owns the stream (false: another one made first does).
        let ownsStream: Bool

        /// The next batch, or nil at the end (see `next(isolation:)`).
        public mutating func next() async throws -> Batch? {
            try await next(isolation: nil)
        }

        /// The next batch, or nil at the end of the last epoch. Throws what `BatchPipeline.next()`
        /// throws, `PipelineError.alreadyConsumed` for a second iterator, and `CancellationError`
        /// when the task is cancelled (before or during the wait; the producer then stops).
        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws -> Batch? {
            guard ownsStream else { throw PipelineError.alreadyConsumed }
            guard !pipeline.isDone else { return nil }
            guard !Task.isCancelled else { throw stop() }
            let context = pipeline.context
            let timeout = pipeline.configuration.waitTimeout
            let began = DispatchTime.now().uptimeNanoseconds
            let depth = context.buffer.depth
            let taken = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: context.buffer.take(timeout: timeout)) }
                }
            } onCancel: {
                // Wakes the wait (the take returns `.cancelled`) and stops the producer.
                context.cancel()
            }
            // Only the cancellation handler (or `cancel()`) ends a take with `.cancelled`; a batch
            // that came first is still handed out, and the next call stops.
            if case .cancelled = taken, Task.isCancelled { throw stop() }
            return try pipeline.receive(taken, began: began, depth: depth)
        }

        /// Stops the pipeline for a cancelled task; the error to throw.
        private func stop() -> CancellationError {
            pipeline.cancel()
            return CancellationError()
        }
    }

    /// Makes the iterator; the first one made owns the stream, later ones are refused.
    public func makeAsyncIterator() -> AsyncIterator {
        let ownsStream = !pipeline.hasAsyncConsumer
        pipeline.hasAsyncConsumer = true
        return AsyncIterator(pipeline: pipeline, ownsStream: ownsStream)
    }
}

/// Not `Sendable`: the pipeline has one consumer, in one task.
@available(*, unavailable)
extension AsyncBatches: Sendable {}

/// Not `Sendable`: the pipeline has one consumer, in one task.
@available(*, unavailable)
extension AsyncBatches.AsyncIterator: Sendable {}
