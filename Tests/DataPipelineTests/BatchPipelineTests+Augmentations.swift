import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TestSupport
import XCTest

/// The torchvision-style augmentations in a pipeline: drawn per (seed, epoch, sample), so the
/// same for any thread count, prefetch depth or rank count; colour jitter refused on images it
/// cannot adjust.
extension BatchPipelineTests {
    /// 3 classes x 12 RGB images of 9x7.
    private func augmentationImages() throws -> (TemporaryDirectory, ImageFolder) {
        let directory = try TemporaryDirectory()
        for label in 0..<3 {
            let folder = directory.path("\(label)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0..<12 {
                let pixels = (0..<(9 * 7 * 3)).map { UInt8(truncatingIfNeeded: $0 * 11 + index * 17 + label * 31) }
                try PNGWriter.writeRGB(width: 9, height: 7, pixels: pixels, to: folder.appendingPathComponent("\(index).png"))
            }
        }
        return (directory, try ImageFolder(root: directory.url.path))
    }

    private var augmentations: [SampleTransform] {
        let normalization = Normalization(mean: [0.5, 0.4, 0.3], standardDeviation: [0.2, 0.25, 0.3])
        return [
            .normalize(mean: normalization.mean, standardDeviation: normalization.standardDeviation),
            .randomResizedCrop(.init()), .colorJitter(.init(brightness: 0.4, contrast: 0.4, saturation: 0.4, normalization: normalization)),
            .randomRotation(.init(degrees: 20, normalization: normalization)), .randomHorizontalFlip(probability: 0.5),
        ]
    }

    func testTorchvisionAugmentationsAreBitIdenticalForAnyThreadCountAndPrefetchDepth() throws {
        let (directory, images) = try augmentationImages()
        defer { _ = directory }
        let reference = try drain(
            try BatchPipeline(dataset: images, configuration: configuration(batch: 5, threads: 1, prefetch: 1), transforms: augmentations))
        for (threads, prefetch) in [(2, 1), (4, 3), (8, 8)] {
            let other = try drain(
                try BatchPipeline(
                    dataset: images, configuration: configuration(batch: 5, threads: threads, prefetch: prefetch), transforms: augmentations))
            assertSameStream(reference, other)
        }
        // The augmentations did something: samples differ between epochs, and from the plain image.
        let plain = try drain(
            try BatchPipeline(dataset: images, configuration: configuration(batch: 5), transforms: [augmentations[0]]))
        func rows(_ batches: [Batch], epoch: Int) -> [Int: [Float]] {
            var result: [Int: [Float]] = [:]
            for batch in batches where batch.epoch == epoch {
                for (row, index) in batch.indices.enumerated() { result[index] = batch.features.gathering(rows: [row]).scalars }
            }
            return result
        }
        let (first, second, unchanged) = (rows(reference, epoch: 0), rows(reference, epoch: 1), rows(plain, epoch: 0))
        XCTAssertEqual(first.count, 36)
        XCTAssertGreaterThan((0..<36).filter { first[$0] != second[$0] }.count, 30)
        XCTAssertGreaterThan((0..<36).filter { first[$0] != unchanged[$0] }.count, 30)
    }

    /// Each rank's slice holds the same augmented rows as the one-process batch.
    func testTorchvisionAugmentationsAreTheSameForAnyRankCount() throws {
        let (directory, images) = try augmentationImages()
        defer { _ = directory }
        let reference = try drain(
            try BatchPipeline(dataset: images, configuration: configuration(batch: 6, threads: 2), transforms: augmentations))
        for ranks in [2, 3] {
            for rank in 0..<ranks {
                var settings = configuration(batch: 6, threads: 1 + rank % 2)
                settings.slicing = BatchSlicing(chunkSize: 2, rank: rank, rankCount: ranks)
                let slices = try drain(try BatchPipeline(dataset: images, configuration: settings, transforms: augmentations))
                XCTAssertEqual(slices.count, reference.count)
                for (slice, whole) in zip(slices, reference) {
                    for (row, index) in slice.indices.enumerated() {
                        let wholeRow = try XCTUnwrap(whole.indices.firstIndex(of: index))
                        XCTAssertEqual(
                            slice.features.gathering(rows: [row]).scalars, whole.features.gathering(rows: [wholeRow]).scalars,
                            "rank \(rank) of \(ranks), sample \(index)")
                    }
                }
            }
        }
    }

    /// Colour jitter needs 1 or 3 channels: a pipeline over RGBA images is refused when made.
    func testColorJitterOnFourChannelsIsRefusedWhenThePipelineIsMade() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("a")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try PNGWriter.writeRGB(width: 4, height: 3, pixels: [UInt8](repeating: 90, count: 36), to: folder.appendingPathComponent("x.png"))
        let jitter = SampleTransform.colorJitter(.init(brightness: 0.2))
        for (channels, refused) in [(ChannelMode.rgba, true), (.rgb, false), (.gray, false)] {
            let images = try ImageFolder(root: directory.url.path, options: .init(channels: channels))
            do {
                _ = try BatchPipeline(dataset: images, configuration: configuration(batch: 1, epochs: 1), transforms: [jitter])
                XCTAssertFalse(refused, "\(channels)")
            } catch let error as DataError {
                XCTAssertTrue(refused, "\(channels): \(error)")
                XCTAssertTrue(error.description.contains("1 or 3 channels") && error.description.contains("4 channels"), "\(error)")
            }
        }
    }
}
