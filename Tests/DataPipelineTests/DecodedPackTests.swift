import DataPipeline
import Foundation
import ImageFormats
import Shards
import SystemIO
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Decoded packs (`pack --decoded`): uint8 pixels read in place through mmap, and the packs
/// written before them.
final class DecodedPackTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var packed: String { directory.path("packed").path }
    private var digits: ImageFolder!
    private var manifest: ShardManifest!
    private let normalization = Normalization(mean: [0.4], standardDeviation: [0.3])

    /// The shipped digits (1797 gray 8x8) packed as uint8 in folder order, 200 to a shard.
    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        let root = Fixtures.repositoryRoot.appendingPathComponent("datasets/digits").path
        digits = try ImageFolder(root: root, options: .init(channels: .gray))
        manifest = try ShardPacker.pack(images: digits, output: packed, limits: .init(samples: 200), storage: .uint8, shuffleSeed: nil)
    }

    /// The files as the format describes them, parsed here byte by byte: the header, the labels,
    /// zeros up to the page the pixels start on, and each image's 8-bit pixels as libpng decodes them.
    func testShardsHoldTheLabelsThenEachImagesPixelsFromAPageBoundary() throws {
        XCTAssertEqual(manifest.formatVersion, 2)
        XCTAssertEqual(manifest.sampleFormat, .uint8)
        XCTAssertEqual(manifest.sampleShape, [1, 8, 8])
        XCTAssertEqual(manifest.shards.map(\.samples), [Int](repeating: 200, count: 8) + [197])
        let manifestText = try String(contentsOfFile: "\(packed)/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifestText.contains(#""sample_format" : "uint8""#), manifestText)
        let decoder = PNGDecoder()
        var sample = 0
        for shard in manifest.shards {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(packed)/\(shard.name)")))
            func word(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
            XCTAssertEqual(Array(bytes[0..<8]), Array("MRSHARD1".utf8))
            XCTAssertEqual([word(8), word(12), word(16), word(20)], [shard.samples, 2, 64, 4096])
            XCTAssertEqual(bytes.count, 4096 + shard.samples * 64)
            XCTAssertEqual(shard.bytes, bytes.count)
            XCTAssertTrue(bytes[(24 + 4 * shard.samples)..<4096].allSatisfy { $0 == 0 })
            for row in 0..<shard.samples {
                XCTAssertEqual(word(24 + 4 * row), digits.labels[sample])
                let image = try decoder.decode(file: digits.paths[sample], channels: .gray)
                XCTAssertEqual(Array(bytes[(4096 + row * 64)..<(4096 + (row + 1) * 64)]), image.pixels, digits.paths[sample])
                sample += 1
            }
        }
        XCTAssertEqual(sample, 1797)
    }

    /// A uint8 shard built here byte by byte from the layout: the encoder writes the same bytes,
    /// and the index reads each sample's range and label back.
    func testTheEncoderAndTheIndexFollowTheLayout() throws {
        var bytes = Array("MRSHARD1".utf8)
        for word: UInt32 in [3, 2, 4, 4096] { withUnsafeBytes(of: word.littleEndian) { bytes += $0 } }
        for label: Int32 in [0, 1, 0] { withUnsafeBytes(of: label.littleEndian) { bytes += $0 } }
        bytes += [UInt8](repeating: 0, count: 4096 - bytes.count) + Array(0..<12)
        let pixels: [[UInt8]] = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
        XCTAssertEqual(ShardFormat.encode(pixels: pixels, labels: [0, 1, 0], sampleBytes: 4), bytes)
        XCTAssertEqual(ShardFormat.encode(payloads: pixels, labels: [0, 1, 0], format: .uint8, featureCount: 4), bytes)
        let (format, featureCount, entries) = try ShardFormat.index(bytes, path: "three.mrshard", classCount: 2)
        XCTAssertEqual(format, .uint8)
        XCTAssertEqual(featureCount, 4)
        XCTAssertEqual(entries.map(\.0), [4096..<4100, 4100..<4104, 4104..<4108])
        XCTAssertEqual(entries.map(\.1), [0, 1, 0])
        XCTAssertThrowsError(try ShardFormat.index(Array(bytes.dropLast()), path: "short.mrshard")) { error in
            XCTAssertEqual((error as? DataError)?.kind, .truncated)
            XCTAssertEqual((error as? DataError)?.byteOffset, 4107)
        }
    }

    /// Every sample read through the mapping, normalised, has the bits the image folder's
    /// decode-and-table path gives the same image; labels and origins follow the shards.
    func testTheMappedPackGivesTheFoldersFloatsBitForBit() throws {
        let pack = try MappedPack(directory: packed, normalization: normalization)
        let folder = try ImageFolder(root: digits.root, options: .init(channels: .gray, normalization: normalization))
        XCTAssertEqual(pack.count, 1797)
        XCTAssertEqual(pack.classNames, folder.classNames)
        XCTAssertEqual(pack.storageLayout, StorageLayout(sampleBytes: 64, runs: [Int](repeating: 200, count: 8) + [197]))
        let scratch = WorkerScratch()
        var fromPack = [Float](repeating: 0, count: 64)
        var fromFolder = [Float](repeating: 0, count: 64)
        for index in 0..<pack.count {
            let label = try fromPack.withUnsafeMutableBufferPointer { try pack.load(index, into: $0, scratch: scratch) }
            let expected = try fromFolder.withUnsafeMutableBufferPointer { try folder.load(index, into: $0, scratch: scratch) }
            XCTAssertEqual(label, expected)
            XCTAssertEqual(fromPack.map(\.bitPattern), fromFolder.map(\.bitPattern), "sample \(index)")
        }
        XCTAssertEqual(pack.origin(at: 450), .line(path: "\(packed)/shard-00002.mrshard", line: 50))
        XCTAssertEqual(try MappedPack(directory: packed + "/manifest.json").count, 1797)
    }

    /// The same pack staged (the chunked path a pack served over HTTP takes) gives the mapped values.
    func testAStagedDecodedPackGivesTheMappedValues() throws {
        let pack = try MappedPack(directory: packed, normalization: normalization)
        let stager = try ShardStager(
            source: LocalShardSource(directory: packed), cacheDirectory: directory.path("cache").path, budgetBytes: 4 * manifest.largestShardBytes)
        defer { stager.stop() }
        let staged = ShardedDataset(stager: stager, normalization: normalization)
        var expected = [Float](repeating: 0, count: 64)
        for chunk in [0, 8] {
            let loaded = try staged.loadChunk(at: chunk)
            XCTAssertEqual(loaded.count, manifest.shards[chunk].samples)
            for row in 0..<loaded.count {
                let label = try expected.withUnsafeMutableBufferPointer { try pack.load(chunk * 200 + row, into: $0, scratch: WorkerScratch()) }
                XCTAssertEqual(loaded.labels[row], label)
                XCTAssertEqual(loaded.sample(at: row).features.scalars.map(\.bitPattern), expected.map(\.bitPattern), "chunk \(chunk) row \(row)")
            }
            stager.release(chunk)
        }
    }

    /// Packs written by main before uint8 packs (checked-in fixtures): PNG bytes and float32
    /// pixels still load, with the values of their source images.
    func testPacksWrittenBeforeStillLoad() throws {
        let fixtures = Fixtures.directory.appendingPathComponent("packs-main-672b9a7")
        let images = try ImageFolder(root: fixtures.appendingPathComponent("images").path, options: .init(channels: .rgb))
        let width = 3 * 3 * 4
        for name in ["png-pack", "float32-pack"] {
            let stager = try ShardStager(
                source: LocalShardSource(directory: fixtures.appendingPathComponent(name).path), cacheDirectory: directory.path("cache-\(name)").path,
                budgetBytes: 1 << 20)
            defer { stager.stop() }
            XCTAssertEqual(stager.manifest.formatVersion, 1, name)
            XCTAssertFalse(MappedPack.isDecodedPack(fixtures.appendingPathComponent(name).path))
            let dataset = ShardedDataset(stager: stager)
            var index = 0
            for chunk in 0..<dataset.chunkCount {
                let loaded = try dataset.loadChunk(at: chunk)
                for row in 0..<loaded.count {
                    var expected = [Float](repeating: 0, count: width)
                    let label = try expected.withUnsafeMutableBufferPointer { try images.load(index, into: $0, scratch: WorkerScratch()) }
                    XCTAssertEqual(loaded.labels[row], label, "\(name) sample \(index)")
                    XCTAssertEqual(loaded.sample(at: row).features.scalars, expected, "\(name) sample \(index)")
                    index += 1
                }
            }
            XCTAssertEqual(index, 6, name)
            XCTAssertThrowsError(try MappedPack(directory: fixtures.appendingPathComponent(name).path)) { error in
                XCTAssertTrue("\(error)".contains("not uint8 pixels"), "\(error)")
            }
        }
    }

    /// Damage found when the pack is opened: each a `DataError` naming the shard, the byte and the fix.
    func testDamagedShardsAreRefusedWhenOpened() throws {
        let shard = "\(packed)/shard-00003.mrshard"
        let original = try Data(contentsOf: URL(fileURLWithPath: shard))
        func open() -> DataError? {
            do {
                _ = try MappedPack(directory: packed)
                return nil
            } catch { return error as? DataError }
        }
        // Cut short: the manifest's size.
        XCTAssertEqual(truncate(shard, 5000), 0)
        var error = open()
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.path, shard)
        XCTAssertEqual(error?.byteOffset, 5000)
        XCTAssertTrue(error?.reason.contains("the shard has 5000 bytes, the manifest says 16896") ?? false, "\(String(describing: error))")
        // A label outside the classes, at its byte.
        var damaged = [UInt8](original)
        damaged[24 + 4 * 7] = 10
        try Data(damaged).write(to: URL(fileURLWithPath: shard))
        error = open()
        XCTAssertEqual(error?.kind, .corrupt)
        XCTAssertEqual(error?.byteOffset, 24 + 4 * 7)
        XCTAssertTrue(error?.reason.contains("sample 7 has label 10, outside the manifest's 10 classes") ?? false, "\(String(describing: error))")
        // A header whose pixels start elsewhere, and one of another sample format.
        damaged = [UInt8](original)
        damaged[21] = 0x20
        try Data(damaged).write(to: URL(fileURLWithPath: shard))
        XCTAssertEqual(open()?.byteOffset, 20)
        damaged = [UInt8](original)
        damaged[12] = 1
        try Data(damaged).write(to: URL(fileURLWithPath: shard))
        XCTAssertTrue(open()?.reason.contains("sample format 1 is not 2") ?? false)
        try original.write(to: URL(fileURLWithPath: shard))
        XCTAssertNil(open())
        // A manifest that claims uint8 samples in an older format version, or a shard size that
        // does not follow from its samples, is refused before any shard is opened.
        let text = try String(contentsOfFile: "\(packed)/manifest.json", encoding: .utf8)
        for (from, to, expected) in [
            (#""format_version" : 2"#, #""format_version" : 1"#, "sample_format uint8 needs format_version 2"),
            (#""bytes" : 16896"#, #""bytes" : 16897"#, "200 uint8 samples of 64 bytes make a shard of 16896 bytes"),
            (#""format_version" : 2"#, #""format_version" : 3"#, "format_version 3 is not supported"),
        ] {
            try text.replacingOccurrences(of: from, with: to).write(toFile: "\(packed)/manifest.json", atomically: true, encoding: .utf8)
            XCTAssertTrue(open()?.reason.contains(expected) ?? false, "\(to): \(String(describing: open()))")
        }
    }

    /// A shard cut short while a pipeline reads the mapped pack: the batch that reaches the lost
    /// pages fails with `.truncated` naming the shard (no SIGBUS), and the process goes on.
    func testAShardTruncatedWhileTrainingReadsItFailsTheBatchNotTheProcess() throws {
        let pack = try MappedPack(directory: packed)
        var configuration = PipelineConfiguration()
        configuration.batchSize = 100
        configuration.threads = 2
        configuration.shuffle = false
        configuration.waitTimeout = 60
        configuration.prefetchDepth = 1
        let pipeline = try BatchPipeline(dataset: pack, configuration: configuration)
        XCTAssertNotNil(try pipeline.next())
        let shard = "\(packed)/shard-00005.mrshard"
        XCTAssertEqual(truncate(shard, 4096), 0)
        var failure: Error?
        do { while try pipeline.next() != nil {} } catch { failure = error }
        let error = failure as? DataError
        XCTAssertEqual(error?.kind, .truncated, "\(String(describing: failure))")
        XCTAssertEqual(error?.path, shard)
        XCTAssertTrue(error?.reason.contains("truncated while it was mapped") ?? false, "\(String(describing: failure))")
    }
}
