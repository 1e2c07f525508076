import ArgumentParser
import Checkpoints
import DataPipeline
import Foundation
import ImageFormats
import SystemIO
import TabularFormats

/// `millrace inspect <path>`: what a folder, CSV, image or checkpoint holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe an image class folder, a CSV file, a PNG or JPEG file or a checkpoint.",
        discussion: "Example: millrace inspect datasets/digits --json"
    )

    @Argument(help: "An image class folder, CSV file, PNG or JPEG file, checkpoint directory or run's checkpoints directory.")
    var path: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let report: [String: Any]
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.notFound, path: path, reason: "no such file or directory", fix: "check the path")
        }
        if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: "\(path)/manifest.json") || FileManager.default.fileExists(atPath: "\(path)/latest") {
                report = try checkpoint()
            } else {
                report = try folder()
            }
        } else if ImageFileFormat.isImageName(path) {
            let header = try ImageDecoder().header(file: path)
            report = [
                "kind": header.format.rawValue, "path": path, "width": header.width, "height": header.height, "format": header.formatName,
            ]
        } else {
            report = try csv()
        }
        if json {
            try JSONOutput.print(report)
            return
        }
        var shown = report
        if shown["configuration"] != nil { shown["configuration"] = "in the manifest (millrace inspect --json prints it)" }
        try ResultOutput.print(
            HumanReport.text(
                shown,
                order: [
                    "kind", "path", "count", "rows", "step", "epoch", "width", "height", "format", "classes", "class_counts", "image_sizes",
                    "formats", "metrics", "hyperparameters", "tensors", "bad_files", "bad_rows", "skipped_files",
                ],
                titles: ["image_sizes": "size", "formats": "format", "class_counts": "class", "metrics": "metric", "hyperparameters": "setting"]),
            terminator: "")
    }

    /// Lists the folder and decodes every image: an undecodable file is listed in `bad_files`
    /// with its reason and the rest are still read (the command exits 0 when the folder itself
    /// could be read).
    private func folder() throws -> [String: Any] {
        // A fixed size keeps ImageFolder from decoding the first image's header at listing time
        // (a bad first file would stop the listing); sizes are not used here.
        let images = try ImageFolder(root: path, options: .init(channels: .rgb, size: (width: 1, height: 1)))
        var sizes: [String: Int] = [:]
        var formats: [String: Int] = [:]
        var bad: [[String: String]] = []
        let decoder = ImageDecoder()
        for file in images.paths {
            do {
                let header = try decoder.decode(file: file, channels: .rgba).header
                sizes["\(header.width)x\(header.height)", default: 0] += 1
                formats[header.formatName, default: 0] += 1
            } catch {
                bad.append(["path": file, "reason": "\(error)"])
            }
        }
        let classes = zip(images.classNames, images.classCounts).map { ["name": $0, "count": $1] as [String: Any] }
        return [
            "kind": "image-folder", "path": path, "count": images.count, "classes": classes, "image_sizes": sizes, "formats": formats,
            "bad_files": bad, "skipped_files": images.skippedFiles.map { ["path": $0.path, "reason": $0.reason] },
        ]
    }

    private func csv() throws -> [String: Any] {
        var options = CSVOptions()
        options.badInput = .skip(maximumFraction: 1)
        options.threads = 2
        let header = try CSVReader(path: path, options: CSVOptions())
        if !header.columnNames.contains("label") { options.labelColumn = nil }
        let reader = try CSVReader(path: path, options: options)
        var rows = 0
        var counts: [Int: Int] = [:]
        while let chunk = try reader.next() {
            rows += chunk.count
            for label in chunk.labels { counts[label, default: 0] += 1 }
        }
        return [
            "kind": "csv", "path": path, "rows": rows, "columns": reader.columnNames, "features": reader.featureNames.count,
            "class_counts": Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) }),
            "bad_rows": reader.quarantine.entries.map { ["origin": $0.origin, "reason": $0.reason] },
        ]
    }

    private func checkpoint() throws -> [String: Any] {
        let loaded: LoadedCheckpoint
        if FileManager.default.fileExists(atPath: "\(path)/manifest.json") {
            loaded = try CheckpointStore.load(checkpoint: path)
        } else if let latest = try CheckpointStore(directory: path, mode: .readOnly).loadLatestUndamaged(fix: "give another checkpoint") {
            loaded = latest
        } else {
            throw CheckpointError(.notFound, path: path, reason: "no loadable checkpoint", fix: "give another directory")
        }
        let manifest = loaded.manifest
        return [
            "kind": "checkpoint", "path": loaded.path, "step": manifest.step, "epoch": manifest.epoch, "metrics": manifest.metrics,
            "hyperparameters": manifest.hyperparameters,
            "tensors": loaded.model.map { ["name": $0.name, "shape": $0.tensor.shape] as [String: Any] },
            "optimizer_tensors": loaded.optimizer.count, "configuration": manifest.configuration ?? "",
        ]
    }
}
