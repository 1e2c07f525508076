import Checkpoints
import DataPipeline
import Foundation
import Layers
import Optimizers
import Tensors

/// Building checkpoints from a training run and restoring a run from one.
public enum TrainingCheckpoint {
    /// The contents of a checkpoint after `step` optimizer steps: the model's parameters and
    /// buffers, the optimizer's state, and the pipeline's position after the last batch.
    public static func contents(
        model: some Layer, optimizer: some Optimizer, step: Int, epoch: Int, pipelineState: PipelineState?,
        metrics: [String: Double] = [:], hyperparameters: [String: String] = [:], configuration: String? = nil
    ) -> CheckpointContents {
        let manifest = CheckpointManifest(step: step, epoch: epoch, createdAt: Date().timeIntervalSince1970, pipelineState: pipelineState,
                                          optimizerStep: optimizer.state.step, metrics: metrics, hyperparameters: hyperparameters,
                                          configuration: configuration)
        return CheckpointContents(manifest: manifest, model: model.stateTensors(), optimizer: optimizer.state.tensors)
    }

    /// Loads a checkpoint's model and optimizer state (strictly) and returns its manifest.
    @discardableResult
    public static func restore(_ checkpoint: LoadedCheckpoint, model: some Layer, optimizer: some Optimizer) throws(CheckpointError) -> CheckpointManifest {
        try model.loadState(checkpoint.model, path: checkpoint.path)
        optimizer.state = OptimizerState(tensors: checkpoint.optimizer, step: checkpoint.manifest.optimizerStep)
        return checkpoint.manifest
    }
}
