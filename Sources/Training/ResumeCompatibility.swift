import Checkpoints
import Foundation

/// What may change when a run resumes from a checkpoint, and what may not. The model's
/// architecture, the optimizer's type and whether momentum is on decide what the saved tensors
/// mean: a checkpoint trained otherwise is refused with the first difference named (loading it
/// would silently drop or misread optimizer state). The learning rate, its schedule, the epochs,
/// the batch size, early stopping and the optimizer's other settings may change: each change is
/// a progress line.
enum ResumeCompatibility {
    /// Compares the configuration saved in a checkpoint (JSON text; nil for checkpoints that did
    /// not keep one, which are not checked) with the run's, and returns the notes to print.
    static func check(saved: String?, current: String, checkpoint path: String, advice: RunAdvice = .commandLine) throws(CheckpointError)
        -> [String]
    {
        guard let saved, let before = object(saved), let now = object(current) else { return [] }
        let fix =
            "resume with the checkpoint's model and optimizer, or start a new run: \(advice.restart) moves these checkpoints aside, "
            + "or give another \(advice.runDirectory)"
        // A layer of another type differs first by its type (`model.layers[0].type is "conv2d" here,
        // "dense" in the checkpoint`), not by a setting the two types do not share.
        if let (key, was, is_) = firstDifference(before["model"], now["model"], path: "model") {
            throw CheckpointError(
                .incompatible, path: path, reason: "the checkpoint was trained with another model: \(key) is \(is_) here, \(was) in the checkpoint",
                fix: fix)
        }
        let oldOptimizer = before["optimizer"] as? [String: Any] ?? [:]
        let newOptimizer = now["optimizer"] as? [String: Any] ?? [:]
        if describe(oldOptimizer["type"]) != describe(newOptimizer["type"]) {
            throw CheckpointError(
                .incompatible, path: path,
                reason:
                    "the checkpoint was trained with optimizer \(describe(oldOptimizer["type"])), this run asks for \(describe(newOptimizer["type"]))",
                fix: fix)
        }
        let hadMomentum = number(oldOptimizer["momentum"]) > 0
        let hasMomentum = number(newOptimizer["momentum"]) > 0
        if hadMomentum != hasMomentum {
            throw CheckpointError(
                .incompatible, path: path,
                reason: "the checkpoint was trained with momentum \(hadMomentum ? "on" : "off"), this run has it \(hasMomentum ? "on" : "off")",
                fix: fix)
        }
        var notes: [String] = []
        func note(_ name: String, _ old: Any?, _ new: Any?) {
            if describe(old) != describe(new) { notes.append("resuming with \(name) \(describe(new)) (was \(describe(old)))") }
        }
        note("learning rate", oldOptimizer["learning_rate"], newOptimizer["learning_rate"])
        for key in Set(oldOptimizer.keys).union(newOptimizer.keys).subtracting(["type", "learning_rate"]).sorted() {
            note("optimizer.\(key)", oldOptimizer[key], newOptimizer[key])
        }
        note("schedule", before["schedule"], now["schedule"])
        note("epochs", before["epochs"], now["epochs"])
        note("early stopping", before["early_stopping"], now["early_stopping"])
        let (oldPipeline, newPipeline) = (before["pipeline"] as? [String: Any], now["pipeline"] as? [String: Any])
        note("batch size", oldPipeline?["batch_size"], newPipeline?["batch_size"])
        // Another order reads other batches from the saved position on.
        note("order", oldPipeline?["order"] ?? "shuffle", newPipeline?["order"] ?? "shuffle")
        note("window_pages", oldPipeline?["window_pages"], newPipeline?["window_pages"])
        return notes
    }

    private static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    private static func number(_ value: Any?) -> Double {
        (value as? NSNumber)?.doubleValue ?? 0
    }

    /// The first place where two JSON values differ: its key path and both values described. In
    /// objects, `type` is compared first (a layer of another type differs by its type, whatever
    /// settings the two types have), then the other keys in order.
    static func firstDifference(_ old: Any?, _ new: Any?, path: String) -> (key: String, old: String, new: String)? {
        if let old = old as? [String: Any], let new = new as? [String: Any] {
            let keys = Set(old.keys).union(new.keys).sorted { ($0 == "type" ? 0 : 1, $0) < ($1 == "type" ? 0 : 1, $1) }
            for key in keys {
                if let found = firstDifference(old[key], new[key], path: "\(path).\(key)") { return found }
            }
            return nil
        }
        if let old = old as? [Any], let new = new as? [Any] {
            for index in 0..<max(old.count, new.count) {
                let found = firstDifference(
                    index < old.count ? old[index] : nil, index < new.count ? new[index] : nil, path: "\(path)[\(index)]")
                if let found { return found }
            }
            return nil
        }
        return describe(old) == describe(new) ? nil : (path, describe(old), describe(new))
    }

    /// A JSON value as a short text: strings quoted, numbers as written, objects as compact JSON,
    /// a missing value as `none`.
    static func describe(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "none" }
        if let text = value as? String { return "\"\(text)\"" }
        if JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
