import ArgumentParser
import DataPipeline
import Dispatch
import Foundation
import Shards
import SystemIO
import Training

extension BenchPipelineCommand {
    /// What the `memcpy` baseline measured.
    struct CopyBaseline {
        /// Samples copied per second.
        var imagesPerSecond: Double
        /// Bytes copied per second.
        var bytesPerSecond: Double
    }

    /// The decoded pack at `folder`, normalised by 0.5 and 0.25 per channel as the folder is.
    static func openPack(_ folder: String) throws -> MappedPack {
        guard MappedPack.isDecodedPack(folder) else {
            throw ValidationError(
                "\(folder) is a pack of PNG or float32 samples; bench pipeline reads a PNG folder or a decoded pack (millrace pack --decoded)")
        }
        let channels = try MappedPack(directory: folder).sampleShape[0]
        let normalization = Normalization(
            mean: [Float](repeating: 0.5, count: channels), standardDeviation: [Float](repeating: 0.25, count: channels))
        return try MappedPack(directory: folder, normalization: normalization)
    }

    /// `memcpy` of each sample's mapped uint8 bytes, on one thread, into a batch buffer, in the
    /// pipeline's order (`sampler`) for the configuration's epochs: what reading the pack costs
    /// with no conversion, collation or prefetch. The order is worked out before the clock starts.
    static func copyBaseline(_ pack: MappedPack, sampler: any Sampler, configuration: PipelineConfiguration) -> CopyBaseline {
        let sampleBytes = pack.manifest.sampleBytes
        let batchSize = configuration.batchSize
        let batch = UnsafeMutableRawPointer.allocate(byteCount: batchSize * sampleBytes, alignment: 64)
        defer { batch.deallocate() }
        batch.initializeMemory(as: UInt8.self, repeating: 0, count: batchSize * sampleBytes)
        let epochs = configuration.epochs ?? 1
        let orders = (0..<epochs).map { sampler.indices(at: Array(0..<sampler.count), epoch: $0) }
        let sources = orders.map { $0.compactMap { pack.unguardedPixels(of: $0).baseAddress } }
        let began = DispatchTime.now().uptimeNanoseconds
        for order in sources {
            for (position, source) in order.enumerated() {
                memcpy(batch + (position % batchSize) * sampleBytes, source, sampleBytes)
            }
        }
        let seconds = max(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9, 1e-9)
        let samples = Double(sampler.count * epochs)
        return CopyBaseline(imagesPerSecond: samples / seconds, bytesPerSecond: samples * Double(sampleBytes) / seconds)
    }

    /// The conversion alone: `pack.load` of every sample (the next one prefetched, as the
    /// pipeline's decode threads do), on one thread, into a batch of floats, in the pipeline's
    /// order, for the configuration's epochs (samples per second).
    static func conversionRate(_ pack: MappedPack, sampler: any Sampler, configuration: PipelineConfiguration) throws -> Double {
        let width = pack.manifest.sampleBytes
        let batchSize = configuration.batchSize
        var batch = [Float](repeating: 0, count: batchSize * width)
        let epochs = configuration.epochs ?? 1
        let orders = (0..<epochs).map { sampler.indices(at: Array(0..<sampler.count), epoch: $0) }
        let scratch = WorkerScratch()
        let began = DispatchTime.now().uptimeNanoseconds
        try batch.withUnsafeMutableBufferPointer { batch in
            for order in orders {
                for (position, index) in order.enumerated() {
                    let slot = position % batchSize
                    if position + 1 < order.count { pack.prefetch(order[position + 1]) }
                    _ = try pack.load(
                        index, into: UnsafeMutableBufferPointer(rebasing: batch[(slot * width)..<((slot + 1) * width)]), scratch: scratch)
                }
            }
        }
        let seconds = max(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9, 1e-9)
        return Double(sampler.count * epochs) / seconds
    }
}
