/// A model built in code that cannot be written as a pipeline file's layer entries
/// (`ModelDescription`): which layer (its position, numbered as its parameters are: `2`, or `1.0`
/// inside a nested `Sequential`), its Swift type, what is wrong and what to do (for a layer type
/// nobody registered, the `LayerRegistry.register(_:_:describing:)` call to add).
public struct ModelDescriptionError: Error, Equatable, CustomStringConvertible {
    /// Where the layer sits in the model (`2`, `1.0`), or nil for the model as a whole.
    public var position: String?
    /// The layer's Swift type (`LayerNorm`), or nil for the model as a whole.
    public var layerType: String?
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String

    /// Creates the error.
    public init(position: String?, layerType: String?, reason: String, fix: String) {
        self.position = position
        self.layerType = layerType
        self.reason = reason
        self.fix = fix
    }

    /// `layer 2 (LayerNorm): reason; fix`, or `the model: reason; fix`.
    public var description: String {
        let subject = position.map { "layer \($0)\(layerType.map { " (\($0))" } ?? "")" } ?? "the model"
        return "\(subject): \(reason); \(fix)"
    }
}
