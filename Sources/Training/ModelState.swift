import Checkpoints
import Layers
import Optimizers
import Tensors

/// What loading tensors into a model found.
public struct LoadReport: Sendable, Equatable {
    /// Model tensors the checkpoint lacks.
    public var missing: [String] = []
    /// Checkpoint tensors the model lacks.
    public var unexpected: [String] = []
    /// Tensors whose shapes differ: name, the model's shape, the checkpoint's.
    public var shapeMismatches: [String] = []
    /// Tensors loaded.
    public var loaded: [String] = []

    /// Whether everything matched.
    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }
}

extension Layer {
    /// The model's parameters and buffers by dotted name (values shared copy-on-write, so the
    /// snapshot is O(1) and later updates cannot change it).
    public func stateTensors() -> [NamedTensor] {
        var tensors: [NamedTensor] = []
        visitParameters { tensors.append(NamedTensor($0, $1.value)) }
        visitBuffers { tensors.append(NamedTensor($0, $1.value)) }
        return tensors
    }

    /// Loads parameters and buffers by name. Strict (the default): any missing or unexpected
    /// tensor or shape mismatch is one error listing them all, and nothing is changed.
    /// Non-strict: loads what matches and reports the rest.
    @discardableResult
    public func loadState(_ tensors: [NamedTensor], strict: Bool = true, path: String = "checkpoint") throws(CheckpointError) -> LoadReport {
        var available: [String: Tensor] = [:]
        for named in tensors { available[named.name] = named.tensor }
        var report = LoadReport()
        var targets: [(String, [Int], (Tensor) -> Void)] = []
        visitParameters { name, parameter in targets.append((name, parameter.value.shape, { parameter.value = $0 })) }
        visitBuffers { name, buffer in targets.append((name, buffer.value.shape, { buffer.value = $0 })) }
        let known = Set(targets.map(\.0))
        report.unexpected = tensors.map(\.name).filter { !known.contains($0) }.sorted()
        var assignments: [(String, () -> Void)] = []
        for (name, shape, assign) in targets {
            guard let tensor = available[name] else {
                // Checkpoints written before batch norms counted their batches load with a count of 0.
                if !(name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked")) { report.missing.append(name) }
                continue
            }
            guard tensor.shape == shape else {
                report.shapeMismatches.append("\(name): model \(shape), checkpoint \(tensor.shape)")
                continue
            }
            assignments.append((name, { assign(tensor) }))
        }
        if strict && !report.isComplete {
            var parts: [String] = []
            if !report.missing.isEmpty { parts.append("missing \(report.missing.joined(separator: ", "))") }
            if !report.unexpected.isEmpty { parts.append("unexpected \(report.unexpected.joined(separator: ", "))") }
            if !report.shapeMismatches.isEmpty { parts.append("shape mismatches \(report.shapeMismatches.joined(separator: "; "))") }
            throw CheckpointError(
                .incompatible, path: path, reason: "the checkpoint does not fit the model: \(parts.joined(separator: "; "))",
                fix: "load it into the model it was saved from, or load non-strictly to take what matches")
        }
        for (name, assign) in assignments {
            assign()
            report.loaded.append(name)
        }
        return report
    }
}

extension OptimizerState {
    /// The slots as `<parameter>.<slot>` tensors.
    public var tensors: [NamedTensor] {
        slots.keys.sorted().flatMap { parameter in
            (slots[parameter] ?? [:]).keys.sorted().map { slot in NamedTensor("\(parameter).\(slot)", slots[parameter]![slot]!) }
        }
    }

    /// Rebuilds the state from `<parameter>.<slot>` tensors (slot names hold no dots).
    public init(tensors: [NamedTensor], step: Int) {
        var slots: [String: [String: Tensor]] = [:]
        for named in tensors {
            guard let dot = named.name.lastIndex(of: ".") else { continue }
            slots[String(named.name[..<dot]), default: [:]][String(named.name[named.name.index(after: dot)...])] = named.tensor
        }
        self.init(step: step, slots: slots)
    }
}
