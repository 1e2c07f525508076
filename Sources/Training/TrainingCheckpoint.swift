import Checkpoints
import DataPipeline
import Foundation
import Layers
import Optimizers
import Tensors

/// Building checkpoints from a training run and restoring a run from one.
public enum TrainingCheckpoint {
    /// The contents of a checkpoint after `step` optimizer steps: the model's parameters and
    /// buffers, the optimizer's state, the pipeline's position after the last batch, the sums of
    /// the epoch in progress, and the states of stateful callbacks (`StatefulCallback`) by key.
    public static func contents(
        model: any Layer, optimizer: any Optimizer, step: Int, epoch: Int, pipelineState: PipelineState?,
        preprocessing: Preprocessing? = nil, metrics: [String: Double] = [:], hyperparameters: [String: String] = [:],
        configuration: String? = nil, epochTotals: EpochTotals? = nil, callbackStates: [String: JSONValue] = [:]
    ) -> CheckpointContents {
        let manifest = CheckpointManifest(
            step: step, epoch: epoch, createdAt: Date().timeIntervalSince1970,
            pipelineState: pipelineState.flatMap { try? JSONValue(encoding: $0) },
            preprocessing: preprocessing.flatMap { try? JSONValue(encoding: $0) },
            optimizerStep: optimizer.state.step, metrics: metrics, hyperparameters: hyperparameters,
            configuration: configuration, trainerState: epochTotals.flatMap { try? JSONValue(encoding: $0) },
            callbackStates: callbackStates.isEmpty ? nil : callbackStates)
        return CheckpointContents(manifest: manifest, model: model.stateTensors(), optimizer: optimizer.state.tensors)
    }

    /// Loads a checkpoint's model and optimizer state (strictly) and returns its manifest.
    @discardableResult
    public static func restore(_ checkpoint: LoadedCheckpoint, model: any Layer, optimizer: any Optimizer) throws(CheckpointError)
        -> CheckpointManifest
    {
        try model.loadState(checkpoint.model, path: checkpoint.path)
        optimizer.state = OptimizerState(tensors: checkpoint.optimizer, step: checkpoint.manifest.optimizerStep)
        return checkpoint.manifest
    }

    /// Restores what a checkpoint saved of `trainer` besides the model and optimizer: the sums
    /// of the epoch in progress (`epochTotals`) and its callbacks' states (below).
    public static func restoreStates(of trainer: Trainer, from manifest: CheckpointManifest, path: String) throws(CheckpointError) {
        if let totals = try decode(manifest.trainerState, as: EpochTotals.self, what: "training loop state", path: path) {
            trainer.epochTotals = totals
        }
        try restoreStates(of: trainer.callbacks, from: manifest, path: path)
    }

    /// Hands each `StatefulCallback` among `callbacks` the state the checkpoint at `path` saved
    /// under its key; a callback whose key the manifest lacks (an older checkpoint) keeps its
    /// state. A state the callback cannot take is `corrupt`, naming the key.
    public static func restoreStates(of callbacks: [any TrainingCallback], from manifest: CheckpointManifest, path: String)
        throws(CheckpointError)
    {
        for case let callback as any StatefulCallback in callbacks {
            guard let state = manifest.callbackStates?[callback.stateKey] else { continue }
            do { try callback.restoreEncoded(state) } catch {
                throw CheckpointError(
                    .corrupt, path: "\(path)/manifest.json", reason: "the state of callback '\(callback.stateKey)' cannot be restored: \(error)",
                    fix: "use another checkpoint, or resume without that callback")
            }
        }
    }

    /// The pipeline state a checkpoint recorded, if any.
    public static func pipelineState(of manifest: CheckpointManifest, path: String) throws(CheckpointError) -> PipelineState? {
        try decode(manifest.pipelineState, as: PipelineState.self, what: "pipeline state", path: path)
    }

    /// The preprocessing a checkpoint recorded, if any (checkpoints of earlier versions have none).
    public static func preprocessing(of manifest: CheckpointManifest, path: String) throws(CheckpointError) -> Preprocessing? {
        try decode(manifest.preprocessing, as: Preprocessing.self, what: "preprocessing", path: path)
    }

    /// The checkpoint with the highest validation accuracy, the newest among equals (one without
    /// the figure counts as -1, so without validation data: the newest).
    package static func highestValidationAccuracy(among checkpoints: [CheckpointSummary]) -> CheckpointSummary? {
        checkpoints.max { ($0.metrics["validation_accuracy"] ?? -1, $0.step) < ($1.metrics["validation_accuracy"] ?? -1, $1.step) }
    }

    /// The checkpoint with the lowest recorded validation loss (the latest among equals), if any
    /// recorded one: a regression's best.
    package static func lowestValidationLoss(among checkpoints: [CheckpointSummary]) -> CheckpointSummary? {
        checkpoints.filter { $0.metrics["validation_loss"] != nil }.min {
            ($0.metrics["validation_loss"] ?? 0, -$0.step) < ($1.metrics["validation_loss"] ?? 0, -$1.step)
        }
    }

    /// `value` (a manifest entry) decoded, nil when absent; `corrupt` naming `what` when unreadable.
    private static func decode<Value: Decodable>(_ value: JSONValue?, as type: Value.Type, what: String, path: String) throws(CheckpointError)
        -> Value?
    {
        guard let value else { return nil }
        do { return try value.decode(type) } catch {
            throw CheckpointError(
                .corrupt, path: "\(path)/manifest.json", reason: "unreadable \(what): \(error)", fix: "use another checkpoint")
        }
    }
}
