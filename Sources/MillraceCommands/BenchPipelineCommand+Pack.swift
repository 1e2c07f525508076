import ArgumentParser
import DataPipeline
import Dispatch
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
    /// pipeline's order (`sampler`, batch by batch) for the configuration's epochs: what reading
    /// the pack costs with no conversion, collation or prefetch.
    static func copyBaseline(_ pack: MappedPack, sampler: any Sampler, configuration: PipelineConfiguration) throws -> CopyBaseline {
        let sampleBytes = pack.manifest.sampleBytes
        let batch = UnsafeMutableRawBufferPointer.allocate(byteCount: configuration.batchSize * sampleBytes, alignment: 64)
        defer { batch.deallocate() }
        batch.initializeMemory(as: UInt8.self, repeating: 0)
        let count = sampler.count
        let began = DispatchTime.now().uptimeNanoseconds
        for epoch in 0..<(configuration.epochs ?? 1) {
            for first in stride(from: 0, to: count, by: configuration.batchSize) {
                let indices = sampler.indices(at: Array(first..<min(first + configuration.batchSize, count)), epoch: epoch)
                for (slot, index) in indices.enumerated() {
                    try pack.copyPixels(
                        of: index, into: UnsafeMutableRawBufferPointer(rebasing: batch[(slot * sampleBytes)..<((slot + 1) * sampleBytes)]))
                }
            }
        }
        let seconds = max(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9, 1e-9)
        let samples = Double(count * (configuration.epochs ?? 1))
        return CopyBaseline(imagesPerSecond: samples / seconds, bytesPerSecond: samples * Double(sampleBytes) / seconds)
    }
}
