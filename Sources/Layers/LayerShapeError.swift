/// A layer given an input sample shape it cannot take: what is wrong and what to do, and, once
/// a model has been checked against its data (`Layer.checkInputShape(_:at:sampleShape:)`), which
/// layer of the model refused which shape.
public struct LayerShapeError: Error, Equatable, CustomStringConvertible {
    /// What is wrong.
    public var reason: String
    /// What to do.
    public var fix: String
    /// Where the layer sits in the model, numbered as its parameters are (`2`, or `1.0` inside a
    /// nested `Sequential`); empty for a model that is the layer itself; nil until it is known.
    public var layerPath: String?
    /// The refusing layer's type (`Dense`); nil until it is known.
    public var layerType: String?
    /// The sample shape (no batch axis) the refusing layer was given; nil until it is known.
    public var inputShape: [Int]?
    /// The sample shape of the data the model was given; nil until it is known.
    public var sampleShape: [Int]?

    /// Creates the error (a layer's own `outputShape(forInputShape:)` leaves the rest nil).
    public init(reason: String, fix: String) {
        self.reason = reason
        self.fix = fix
    }

    /// `reason; fix`, after the layer, its input shape and the data's sample shape when known:
    /// `layer 1 (Dense) of the model cannot take input of sample shape [2352] (the data's samples
    /// are [3, 28, 28]): a dense layer of 784 inputs …; flatten first, or give it 2352 inputs`.
    public var description: String {
        guard let layerPath, let layerType, let inputShape else { return "\(reason); \(fix)" }
        let name = layerPath.isEmpty ? "the model (\(layerType))" : "layer \(layerPath) (\(layerType)) of the model"
        let data = sampleShape.map { $0 == inputShape ? "" : " (the data's samples are \($0))" } ?? ""
        return "\(name) cannot take input of sample shape \(inputShape)\(data): \(reason); \(fix)"
    }
}
