import DataPipeline
import Foundation
import SystemIO

/// A decoded (uint8) pack in a local folder, read in place: every shard is mapped read-only
/// (`MappedFile`) when the pack is opened, and each sample is converted from its mapped bytes
/// straight into its slot of the batch (`v / 255`, then the normalisation), with no decoding and
/// no copy of the file. Samples are read by index in any order, so the pipeline shuffles the
/// whole pack (or reads it page-aware: `storageLayout`).
///
/// Opening checks every shard against the manifest: its size (exactly a header, the labels and
/// `count x sampleBytes` pixels), header and labels; a shard that does not match is a
/// `DataError` naming the file and the byte. The CRC32s are not computed (that would read the
/// whole pack; staging checks them when it downloads). A shard truncated while it is mapped is a
/// `.truncated` error for the sample read, never SIGBUS (see `MappedFile`).
public struct MappedPack: RandomAccessDataset {
    /// The manifest.
    public let manifest: ShardManifest
    /// The folder holding the manifest and the shards.
    public let directory: String
    /// The normalisation applied to every sample as it is read.
    public let normalization: Normalization?
    private let files: [MappedFile]
    private let layouts: [ShardFormat.DecodedLayout]
    /// The first index of each shard, and the total last.
    private let starts: [Int]
    private let means: [Float]
    private let inverses: [Float]

    /// Opens the pack in `directory` (or the folder of a `manifest.json` path); `normalization`
    /// is applied to every sample read. Throws when the manifest is not a uint8 pack's (see
    /// `isDecodedPack`) or a shard does not match it.
    public init(directory: String, normalization: Normalization? = nil) throws {
        let folder = directory.hasSuffix("/manifest.json") ? String(directory.dropLast(14)) : directory
        let manifestPath = "\(folder)/manifest.json"
        let manifest = try ShardManifest.decode(
            FileBytes.contents(of: manifestPath, maximumBytes: ShardManifest.maximumBytes), path: manifestPath)
        guard manifest.sampleFormat == .uint8 else {
            throw DataError(
                .invalidOption, path: manifestPath, reason: "the pack holds \(manifest.sampleFormat.rawValue) samples, not uint8 pixels",
                fix: "open it as a ShardedDataset through a ShardStager, or pack the images again with millrace pack --decoded")
        }
        var files: [MappedFile] = []
        var layouts: [ShardFormat.DecodedLayout] = []
        var starts = [0]
        for shard in manifest.shards {
            let file = try MappedFile(path: "\(folder)/\(shard.name)")
            guard file.size == shard.bytes else {
                throw DataError(
                    file.size < shard.bytes ? .truncated : .corrupt, path: file.path, byteOffset: min(file.size, shard.bytes),
                    reason: "the shard has \(file.size) bytes, the manifest says \(shard.bytes)",
                    fix: "the shard was truncated or replaced: pack the dataset again (or restore the shard)")
            }
            let layout = try ShardFormat.decodedLayout(of: file, classCount: manifest.classNames.count)
            guard layout.labels.count == shard.samples, layout.sampleBytes == manifest.sampleBytes else {
                throw DataError(
                    .corrupt, path: file.path, byteOffset: 8,
                    reason: "the shard holds \(layout.labels.count) samples of \(layout.sampleBytes) bytes, "
                        + "the manifest says \(shard.samples) of \(manifest.sampleBytes)",
                    fix: "the shard does not belong to this manifest: pack the dataset again")
            }
            files.append(file)
            layouts.append(layout)
            starts.append(starts[starts.count - 1] + shard.samples)
        }
        let channels = manifest.sampleShape[0]
        (means, inverses) = normalization?.parameters(groups: channels) ?? ([], [])
        self.manifest = manifest
        self.directory = folder
        self.normalization = normalization
        self.files = files
        self.layouts = layouts
        self.starts = starts
    }

    /// Whether `directory` (a folder or its `manifest.json`) holds a uint8 pack: its manifest
    /// reads and says so. Any problem with the manifest is left for the opener to report.
    public static func isDecodedPack(_ directory: String) -> Bool {
        let folder = directory.hasSuffix("/manifest.json") ? String(directory.dropLast(14)) : directory
        guard let bytes = try? FileBytes.contents(of: "\(folder)/manifest.json", maximumBytes: ShardManifest.maximumBytes),
            let manifest = try? ShardManifest.decode(bytes, path: "\(folder)/manifest.json")
        else { return false }
        return manifest.sampleFormat == .uint8
    }

    /// The number of samples.
    public var count: Int { starts[starts.count - 1] }
    /// `[channels, height, width]`.
    public var sampleShape: [Int] { manifest.sampleShape }
    /// The class names.
    public var classNames: [String] { manifest.classNames }
    /// The shards, runs of `sampleBytes` samples each starting on a page: for a page-aware order.
    public var storageLayout: StorageLayout? {
        StorageLayout(sampleBytes: manifest.sampleBytes, runs: manifest.shards.map(\.samples))
    }

    /// The shard holding sample `index`, and the sample's row in it.
    func address(of index: Int) -> (shard: Int, row: Int) {
        var low = 0
        var high = files.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return (low, index - starts[low])
    }

    /// `shard-00003.mrshard:17`: the shard's path and the sample's row (0-based).
    public func origin(at index: Int) -> SampleOrigin {
        let (shard, row) = address(of: index)
        return .line(path: files[shard].path, line: row)
    }

    /// Converts sample `index`'s mapped pixels into `destination` and returns its label.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        guard (0..<count).contains(index), destination.count == manifest.sampleBytes else {
            throw DataError(
                .invalidOption, path: directory,
                reason: "sample \(index) of \(count) into \(destination.count) floats (a sample has \(manifest.sampleBytes))",
                fix: "report this as a bug")
        }
        let (shard, row) = address(of: index)
        let layout = layouts[shard]
        let shape = manifest.sampleShape
        try means.withUnsafeBufferPointer { means in
            try inverses.withUnsafeBufferPointer { inverses in
                try files[shard].writeUnitScaled(
                    from: layout.range(of: row).lowerBound, channels: shape[0], plane: shape[1] * shape[2],
                    means: means.isEmpty ? nil : means.baseAddress, inverses: inverses.baseAddress, into: destination)
            }
        }
        return layout.labels[row]
    }

    /// Asks the processor to bring sample `index`'s mapped pixels into its caches: the
    /// pipeline's hint of the sample a decode thread converts next.
    public func prefetch(_ index: Int) {
        guard (0..<count).contains(index) else { return }
        let (shard, row) = address(of: index)
        files[shard].prefetch(from: layouts[shard].range(of: row).lowerBound, count: manifest.sampleBytes)
    }

    /// Sample `index`'s mapped pixels, read without the guard: touching them after their shard
    /// was truncated raises SIGBUS. For measuring (`bench pipeline`'s memcpy baseline); read
    /// through `load` or `copyPixels` otherwise.
    public func unguardedPixels(of index: Int) -> UnsafeRawBufferPointer {
        let (shard, row) = address(of: index)
        return UnsafeRawBufferPointer(rebasing: files[shard].bytes[layouts[shard].range(of: row)])
    }

    /// Copies sample `index`'s uint8 pixels into `destination` (the bytes `load` converts).
    public func copyPixels(of index: Int, into destination: UnsafeMutableRawBufferPointer) throws(DataError) {
        let (shard, row) = address(of: index)
        let range = layouts[shard].range(of: row)
        try files[shard].copy(from: range.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<range.count]))
    }
}
