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
    /// Loads, transforms and collates the samples of `keys` on the decode threads, each straight
    /// into its slot of the batch tensor; a failed sample's slot is zeroed and its error kept.
    /// After `cancel()` the threads take no further sample (the rows are then incomplete).
    func decode(_ keys: [Int], epoch: Int) -> DecodedRows {
        let count = keys.count
        let shape = loader.sampleShape
        let width = Tensor.elementCount(of: shape)
        var labels = [Int](repeating: -1, count: count)
        var failures = [Error?](repeating: nil, count: count)
        let loader = self.loader
        let transforms = self.transforms
        let seed = self.seed
        let workers = self.workers
        let producer = self
        let threadCount = min(workers.count, count)
        var features = batchTensor([count] + shape)
        features.withUnsafeMutableBufferPointer { out in
            labels.withUnsafeMutableBufferPointer { labelSlots in
                failures.withUnsafeMutableBufferPointer { failureSlots in
                    let shared = UncheckedSendable((out, labelSlots, failureSlots))
                    let next = Atomic<Int>(0)
                    ComputeThreads.concurrentPerform(threadCount) { worker in
                        let (out, labelSlots, failureSlots) = shared.value
                        let scratch = workers[worker]
                        while true {
                            let slot = next.add(1, ordering: .relaxed).oldValue
                            if slot >= count || producer.isCancelled { break }
                            let destination = UnsafeMutableBufferPointer(rebasing: out[(slot * width)..<((slot + 1) * width)])
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
        return DecodedRows(features: features, labels: labels, keys: keys, failures: failures)
    }
}
