import Tensors

/// A function from an upstream gradient (with respect to a layer's output) to the gradient with
/// respect to the layer's input. Calling it also adds the parameter gradients to the layer's
/// `Parameter`s. The gradient is passed by ownership (`consuming`): callers hand it over with
/// `consume`, so element-wise pullbacks can update it in place without a copy.
public typealias Pullback = (consuming Tensor) -> Tensor

/// A differentiable building block of a network.
///
/// A layer is a `final class` holding `Parameter`s. `forward` returns its output together with a
/// pullback; `visitParameters` lists its parameters under stable names, which become the
/// checkpoint keys (nested layers prefix them, as in `0.weight`). A layer without parameters
/// needs only `forward`.
public protocol Layer: AnyObject {
    /// Computes the output for `input` and the pullback that backpropagates through this call.
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback)

    /// Calls `visitor` with each parameter and its name, in a fixed order.
    func visitParameters(_ visitor: (String, Parameter) -> Void)

    /// Calls `visitor` with each non-trainable state tensor (running statistics) and its name;
    /// checkpoints save buffers alongside parameters.
    func visitBuffers(_ visitor: (String, Buffer) -> Void)

    /// The shape of one output sample for one input sample of `shape` (no batch axis), or a
    /// `LayerShapeError` when the layer cannot take such input. Element-wise layers keep the
    /// shape (the default). Training, evaluation and prediction call it with each layer's input
    /// before running the layer (`checkInputShape(_:at:sampleShape:)`), so a layer that cannot
    /// take some shapes (or a container, through its children's) should throw here rather than
    /// trap in `forward`; `ModelBuilder` also uses it to chain a pipeline file's layers.
    func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int]

    /// Whether the layer keeps to the forward context's gradient chunks: an opt-in for speed only.
    /// Training runs a layer that does not chunk by chunk on its own, each chunk a batch of its own
    /// (the same bits on any number of ranks; the chunking costs this layer only). A layer that
    /// does gets a rank's whole share of the batch with its chunks in `ForwardContext.chunkRows`,
    /// and must then compute each row's output and input gradient from its own chunk, sum its
    /// parameter gradients per chunk and up the chunk tree (`Tensor.matmul(_:_:transposeB:rowChunks:)`,
    /// `Tensor.addChunkedProducts`, `Tensor.addChunkedColumnSums`) and draw chunk k's randomness
    /// from `ForwardContext.chunkGenerators[k]`. Default: true for a layer without parameters, which
    /// must then treat rows independently and draw from no other generator (else declare it false).
    var keepsToGradientChunks: Bool { get }

    /// Whether the layer honours `ForwardContext.requiresInputGradient` being off: its pullback
    /// then may return an empty tensor, and it passes the request on only through
    /// `ForwardContext.requireInputGradient(_:for:)`. Default: false (the flag is never off when
    /// it runs), which is right for any layer that passes its context to other layers.
    var canSkipInputGradient: Bool { get }
}

extension Layer {
    /// Element-wise layers keep the shape.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] { shape }

    /// True for a layer without parameters.
    public var keepsToGradientChunks: Bool { parameterCount == 0 }

    /// False: the layer is always asked for its input gradient.
    public var canSkipInputGradient: Bool { false }

    /// Layers without parameters list none.
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {}

    /// Layers without buffers list none.
    public func visitBuffers(_ visitor: (String, Buffer) -> Void) {}

    /// The buffers with their dotted names, in visiting order.
    public var namedBuffers: [(name: String, buffer: Buffer)] {
        var result: [(name: String, buffer: Buffer)] = []
        visitBuffers { result.append(($0, $1)) }
        return result
    }

    /// The output for `input` in inference mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        forward(input, context: ForwardContext(isTraining: false)).output
    }

    /// The parameters with their dotted names, in visiting order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        visitParameters { result.append(($0, $1)) }
        return result
    }

    /// The total number of trainable scalars.
    public var parameterCount: Int {
        var total = 0
        visitParameters { total += $1.value.count }
        return total
    }

    /// Resets every parameter's accumulated gradient to zero.
    public func zeroGradients() {
        visitParameters { $1.zeroGradient() }
    }
}
