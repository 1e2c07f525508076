import DataPipeline
import TestSupport
import XCTest

/// An actor that reads a pipeline's batches in its own isolation (the iterator is not
/// `Sendable`: it is handed over, never shared).
private actor BatchCollector {
    private(set) var indices: [[Int]] = []

    func collect(_ batches: sending AsyncBatches) async throws {
        for try await batch in batches { indices.append(batch.indices) }
    }
}

/// `asyncBatches`: one consumer, and task cancellation honoured.
extension BatchPipelineTests {
    func testAsyncSequenceGivesTheSameBatches() async throws {
        let source = CountingSource(count: 20)
        let expected = try drain(try BatchPipeline(dataset: source, configuration: configuration(batch: 3)))
        var received: [Batch] = []
        for try await batch in try BatchPipeline(dataset: source, configuration: configuration(batch: 3)).asyncBatches { received.append(batch) }
        assertSameStream(expected, received)
        // Read inside an actor: the same batches in the same order.
        let collector = BatchCollector()
        try await collector.collect(try BatchPipeline(dataset: source, configuration: configuration(batch: 3)).asyncBatches)
        let collected = await collector.indices
        XCTAssertEqual(collected, expected.map(\.indices))
    }

    /// Cancelling the consuming task ends its `for try await` with `CancellationError` while it
    /// waits for a batch that cannot come (the source is stalled: without the cancellation the
    /// wait would last the 120 s wait timeout and end in `timedOut`), and the producer, stalled
    /// inside a load, reads no further sample once that load returns: its thread ends although
    /// the pipeline is still alive.
    func testCancellingTheConsumingTaskEndsTheWaitAndStopsTheProducer() async throws {
        XCTAssertTrue(waitUntil { BatchPipeline.runningProducers == 0 }, "a producer thread of an earlier test never stopped")
        let source = StallingSource(count: 32, stallFrom: 8)
        defer { source.release() }
        var settings = configuration(batch: 4, prefetch: 1, epochs: 1)
        settings.shuffle = false
        settings.waitTimeout = 120
        let batches = try BatchPipeline(dataset: source, configuration: settings).asyncBatches
        let (delivered, sink) = AsyncStream.makeStream(of: [Int].self)
        let consumer = Task.detached { () async -> (error: (any Error)?, producerStopped: Bool, loads: [Int]) in
            var iterator = batches.makeAsyncIterator()
            var failure: (any Error)?
            do {
                while let batch = try await iterator.next() { sink.yield(batch.indices) }
            } catch {
                failure = error
            }
            sink.finish()
            // The iterator, and with it the pipeline, is still alive: the producer stops by itself.
            source.release()
            let stopped = waitUntil { BatchPipeline.runningProducers == 0 }
            withExtendedLifetime(iterator) {}
            return (failure, stopped, source.loadedIndices)
        }
        var received: [[Int]] = []
        for await indices in delivered {
            received.append(indices)
            if received.count == 2 { break }
        }
        // Batches 0 and 1 are consumed; the producer is stalled in sample 8, batch 2's first.
        XCTAssertTrue(waitUntil { source.stalledLoads == 1 }, "the producer never reached the stalled sample")
        consumer.cancel()
        let outcome = await consumer.value
        XCTAssertEqual(received, [Array(0..<4), Array(4..<8)])
        XCTAssertTrue(outcome.error is CancellationError, "ended with \(String(describing: outcome.error))")
        XCTAssertTrue(outcome.producerStopped, "the producer thread outlived the cancelled iteration")
        XCTAssertEqual(outcome.loads, Array(0..<9), "the decode went on after the cancellation")
    }

    /// A task cancelled before its first `next()` gets no batch, and the producer (blocked on a
    /// full prefetch buffer of an endless stream) stops.
    func testACancelledTaskGetsNoBatchAndStopsTheProducer() async throws {
        XCTAssertTrue(waitUntil { BatchPipeline.runningProducers == 0 }, "a producer thread of an earlier test never stopped")
        let source = CountingSource(count: 10_000)
        let batches = try BatchPipeline(dataset: source, configuration: configuration(batch: 4, prefetch: 2, epochs: nil)).asyncBatches
        let consumer = Task.detached { () async -> (count: Int, error: (any Error)?, producerStopped: Bool) in
            withUnsafeCurrentTask { $0?.cancel() }
            var iterator = batches.makeAsyncIterator()
            var count = 0
            var failure: (any Error)?
            do {
                while try await iterator.next() != nil { count += 1 }
            } catch {
                failure = error
            }
            let stopped = waitUntil { BatchPipeline.runningProducers == 0 }
            withExtendedLifetime(iterator) {}
            return (count, failure, stopped)
        }
        let outcome = await consumer.value
        XCTAssertEqual(outcome.count, 0)
        XCTAssertTrue(outcome.error is CancellationError, "ended with \(String(describing: outcome.error))")
        XCTAssertTrue(outcome.producerStopped, "the producer thread outlived the cancelled iteration")
        // At most the buffer, the batch being put and the one being decoded were read.
        XCTAssertLessThanOrEqual(source.loadedIndices.count, 4 * 4)
    }

    /// One consumer: once an iterator owns the stream, a second iterator and `next()` are
    /// refused, naming the rule; the owner still gets every batch, in order.
    func testASecondConsumerIsRefused() async throws {
        var settings = configuration(batch: 4, epochs: 1)
        settings.shuffle = false
        let pipeline = try BatchPipeline(dataset: CountingSource(count: 10), configuration: settings)
        var owner = pipeline.asyncBatches.makeAsyncIterator()
        var second = pipeline.asyncBatches.makeAsyncIterator()
        do {
            _ = try await second.next()
            XCTFail("a second iterator got a batch")
        } catch {
            XCTAssertEqual(error as? PipelineError, .alreadyConsumed)
            XCTAssertTrue("\(error)".contains("a pipeline has one consumer"), "\(error)")
        }
        XCTAssertThrowsError(try pipeline.next()) { XCTAssertEqual($0 as? PipelineError, .alreadyConsumed) }
        var received: [[Int]] = []
        while let batch = try await owner.next() { received.append(batch.indices) }
        XCTAssertEqual(received, [Array(0..<4), Array(4..<8), Array(8..<10)])
        let afterTheEnd = try await owner.next()
        XCTAssertNil(afterTheEnd)
    }
}
