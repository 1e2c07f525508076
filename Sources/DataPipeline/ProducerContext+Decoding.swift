import Synchronization
import Tensors

/// One slice's decoded samples: a row per key, until bad samples are left out.
struct DecodedRows {
    /// The features, `[rows, ...sampleShape]`.
    var features: Tensor
    /// Each row's label (-1 where the sample failed).
    var labels: [Int]
    /// Each row's sample key.
    var keys: [Int]
    /// Each row's error, nil where the sample loaded (emptied once bad samples are left out).
    var failures: [Error?]
    /// Each row's position within the global batch once bad samples were left out (nil: none was).
    var keptPositions: [Int]?
    /// The keys of the samples left out.
    var leftOut: [Int] = []
}

extension ProducerContext {
    /// Loads, transforms and collates the samples of each group of `groups` (one batch's keys
    /// each) on the decode threads in one pass, each sample straight into its slot of its batch's
    /// tensor; a failed sample's slot is zeroed and its error kept. After `cancel()` the threads
    /// take no further sample (the rows are then incomplete). Decoding several batches in one
    /// pass wakes the decode threads once for all of them; what each slot holds does not depend
    /// on how batches are grouped.
    func decode(_ groups: [[Int]], epoch: Int) -> [DecodedRows] {
        let keys = groups.flatMap { $0 }
        let count = keys.count
        let shape = loader.sampleShape
        let width = Tensor.elementCount(of: shape)
        var labels = [Int](repeating: -1, count: count)
        var failures = [Error?](repeating: nil, count: count)
        var starts = [0]
        for group in groups { starts.append(starts[starts.count - 1] + group.count) }
        let loader = self.loader
        let transforms = self.transforms
        let seed = self.seed
        let workers = self.workers
        let producer = self
        let threadCount = min(workers.count, count)
        let (_, features) = withBatchTensors(groups.map(\.count)[...], shape: shape, []) { outs in
            labels.withUnsafeMutableBufferPointer { labelSlots in
                failures.withUnsafeMutableBufferPointer { failureSlots in
                    let shared = UncheckedSendable((outs, labelSlots, failureSlots, starts))
                    let next = Atomic<Int>(0)
                    ComputeThreads.concurrentPerform(threadCount) { worker in
                        let (outs, labelSlots, failureSlots, starts) = shared.value
                        let scratch = workers[worker]
                        var group = 0
                        while true {
                            let slot = next.add(1, ordering: .relaxed).oldValue
                            if slot >= count || producer.isCancelled { break }
                            // Most likely this thread's next sample (threads take slots in turn).
                            if slot + threadCount < count { loader.prefetch(keys[slot + threadCount]) }
                            while starts[group + 1] <= slot { group += 1 }
                            let row = slot - starts[group]
                            let destination = UnsafeMutableBufferPointer(rebasing: outs[group][(row * width)..<((row + 1) * width)])
                            do {
                                labelSlots[slot] = try loader.load(keys[slot], into: destination, scratch: scratch)
                                if !transforms.isEmpty {
                                    var generator = RandomGenerator(seed: seed, stream: [UInt64(epoch), UInt64(bitPattern: Int64(keys[slot]))])
                                    for transform in transforms {
                                        transform.apply(to: destination, shape: shape, generator: &generator, scratch: &scratch.floats)
                                    }
                                }
                            } catch {
                                failureSlots[slot] = error
                                destination.update(repeating: 0)
                            }
                        }
                    }
                }
            }
        }
        return groups.indices.map { index in
            let range = starts[index]..<starts[index + 1]
            return DecodedRows(
                features: features[index], labels: Array(labels[range]), keys: groups[index], failures: Array(failures[range]))
        }
    }

    /// Calls `body` with the storage of a new batch tensor of `[count] + shape` for each of
    /// `counts` (a recycled batch's storage where one fits), and returns its result and the
    /// tensors. Each tensor is held by one variable only while `body` writes it: no copy on write.
    private func withBatchTensors<Result>(
        _ counts: ArraySlice<Int>, shape: [Int], _ collected: [UnsafeMutableBufferPointer<Float>],
        _ body: ([UnsafeMutableBufferPointer<Float>]) -> Result
    ) -> (Result, [Tensor]) {
        guard let count = counts.first else { return (body(collected), []) }
        var tensor = batchTensor([count] + shape)
        let (result, rest) = tensor.withUnsafeMutableBufferPointer { buffer in
            withBatchTensors(counts.dropFirst(), shape: shape, collected + [buffer], body)
        }
        return (result, [tensor] + rest)
    }
}
