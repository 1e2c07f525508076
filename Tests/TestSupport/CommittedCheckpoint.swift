import Foundation

/// The files of the checkpoint a store's `latest` pointer names (the pointer is replaced by
/// rename only after the step folder is complete, so what it names is committed).
public struct CommittedCheckpoint {
    /// The pointer's text: the step folder's name, such as `step-000000012`.
    public let name: String
    /// The bytes of the folder's `model.safetensors` (weights and any running statistics).
    public let model: Data
    /// The bytes of the folder's `optimizer.safetensors`.
    public let optimizer: Data

    /// The step number in `name`, or nil if `name` is not `step-` and a number.
    public var step: Int? {
        name.hasPrefix("step-") ? Int(name.dropFirst("step-".count)) : nil
    }

    /// Reads the checkpoint that the store at `store` names in its `latest` file.
    public static func latest(in store: URL) throws -> CommittedCheckpoint {
        let name = try String(contentsOf: store.appendingPathComponent("latest"), encoding: .utf8)
        let folder = store.appendingPathComponent(name, isDirectory: true)
        return CommittedCheckpoint(
            name: name, model: try Data(contentsOf: folder.appendingPathComponent("model.safetensors")),
            optimizer: try Data(contentsOf: folder.appendingPathComponent("optimizer.safetensors")))
    }
}
