import Foundation
import SystemIO

/// What `metrics.jsonl` records, read back for the run report: the logged steps and the epochs,
/// in step order. A resumed run appends the steps it redoes again; the later record of a step
/// (or epoch) replaces the earlier one. Lines that are not JSON objects (a line cut short when a
/// run was killed) are counted in `skippedLines`, not fatal.
public struct RunHistory: Sendable, Equatable {
    /// One logged record: its step, epoch and numeric fields (`loss`, `accuracy`,
    /// `learning_rate`, `samples_per_second`, `data_wait`, `validation_loss`, ...).
    public struct Record: Sendable, Equatable {
        /// The optimizer step after which it was logged.
        public var step: Int
        /// The epoch (0-based).
        public var epoch: Int
        /// The numeric fields.
        public var values: [String: Double]
    }

    /// The step records, by step.
    public var steps: [Record]
    /// The epoch records, by epoch.
    public var epochs: [Record]
    /// Lines that could not be read.
    public var skippedLines: Int

    /// Reads `metrics.jsonl` at `path`; a missing file is an empty history.
    public static func read(path: String) throws -> RunHistory {
        parse(Data(try contents(of: path) ?? []))
    }

    /// The bytes of a run directory's file, or nil when nothing is at `path`. Read as every
    /// input is (`FileBytes`): a FIFO, device or folder in its place is an error naming it, never
    /// a wait on a FIFO that no one writes.
    static func contents(of path: String) throws(DataError) -> [UInt8]? {
        do { return try FileBytes.contents(of: path) } catch  where error.kind == .notFound { return nil }
    }

    /// Parses the lines of a `metrics.jsonl` file.
    public static func parse(_ data: Data) -> RunHistory {
        var steps: [Int: Record] = [:]
        var epochs: [Int: Record] = [:]
        var skipped = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                let kind = object["kind"] as? String, let step = (object["step"] as? NSNumber)?.intValue,
                let epoch = (object["epoch"] as? NSNumber)?.intValue
            else {
                skipped += 1
                continue
            }
            var values: [String: Double] = [:]
            for (key, value) in object where key != "kind" && key != "step" && key != "epoch" {
                if let number = value as? NSNumber, number.doubleValue.isFinite { values[key] = number.doubleValue }
            }
            let record = Record(step: step, epoch: epoch, values: values)
            switch kind {
            case "step": steps[step] = record
            case "epoch": epochs[epoch] = record
            default: skipped += 1
            }
        }
        return RunHistory(
            steps: steps.values.sorted { $0.step < $1.step }, epochs: epochs.values.sorted { $0.epoch < $1.epoch }, skippedLines: skipped)
    }

    /// `(step, value)` of `key` in `records`, at most `limit` points (evenly thinned, the last kept).
    static func series(_ records: [Record], _ key: String, scale: Double = 1, limit: Int = 1000) -> [(x: Double, y: Double)] {
        let points = records.compactMap { record in record.values[key].map { (x: Double(record.step), y: $0 * scale) } }
        guard points.count > limit, limit > 1 else { return points }
        let stride = Double(points.count - 1) / Double(limit - 1)
        return (0..<limit).map { points[Int((Double($0) * stride).rounded())] }
    }
}
