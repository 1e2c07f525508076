import Tensors

/// The backward pass of layers run over a training step's units: from the gradient with respect
/// to each unit's output (nil for a unit without samples), the gradient with respect to each
/// unit's input. Parameter gradients go where the runner puts them (the gradient exchange).
public typealias UnitBackward = (consuming [Tensor?]) throws -> [Tensor?]

/// Runs layers over all of a training step's units at once, as the step runs any layer: the
/// training step supplies one to `LayerContainer.forward(units:runner:)`. Batch normalisation
/// uses the global batch's statistics (every rank's units), a layer that does not keep to
/// gradient chunks runs chunk by chunk, containers are opened in turn.
public protocol UnitRunner: AnyObject {
    /// Runs `layer` (one of the container's `sublayers`, or a layer inside one) forward over
    /// `units` (nil: a unit whose samples were all left out) and returns its outputs per unit and
    /// its backward pass. Each layer with parameters runs at most once per step.
    func run(_ layer: any Layer, units: [Tensor?]) throws -> (outputs: [Tensor?], backward: UnitBackward)
}

/// A layer made of other layers that the training step can open, so the layers inside run as
/// they would at the top of the model: above all, a `BatchNorm` inside normalises with the
/// global batch's statistics on any number of ranks. (A layer holding other layers that does not
/// conform runs chunk by chunk as one opaque layer, and training refuses it if a batch norm runs
/// inside.) `Sequential` conforms; a residual block, `y = body(x) + x`, is
///
///     func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward) {
///         let (body, bodyBackward) = try runner.run(self.body, units: units)
///         return (Units.adding(body, units), { Units.adding(try bodyBackward($0), $0) })
///     }
///
/// beside its `forward(_:context:)` for inference and plain use, which must compute the same
/// function. Its parameters and buffers default to its sublayers' (named `<index>.<name>`, or
/// `<sublayer name>.<name>` with `sublayerNames`).
/// Every rank must run the same sublayers in the same order in every step (never depending on
/// the data), and the container holds no parameters of its own.
public protocol LayerContainer: Layer {
    /// The layers it runs, in a fixed order (that of its parameters' names).
    var sublayers: [any Layer] { get }

    /// The name of each sublayer in parameter and buffer names (`<name>.<parameter>`), as many as
    /// `sublayers` (default: their indices, `0`, `1`, ...; a residual block's `body`, `shortcut`).
    var sublayerNames: [String] { get }

    /// The training forward pass over all of a step's units at once: runs the sublayers through
    /// `runner` and combines their outputs per unit (element-wise work per row only, so each
    /// unit's rows are computed as the whole batch's would be), returning the outputs and the
    /// backward pass, which calls the sublayers' backward passes in reverse.
    func forward(units: [Tensor?], runner: any UnitRunner) throws -> (outputs: [Tensor?], backward: UnitBackward)
}

extension LayerContainer {
    /// The indices of `sublayers`.
    public var sublayerNames: [String] { sublayers.indices.map { "\($0)" } }

    /// Every sublayer's parameters, prefixed with its name (`sublayerNames`).
    public func visitParameters(_ visitor: (String, Parameter) -> Void) {
        for (prefix, layer) in zip(sublayerNames, sublayers) {
            layer.visitParameters { name, parameter in visitor("\(prefix).\(name)", parameter) }
        }
    }

    /// Every sublayer's buffers, prefixed with its name (`sublayerNames`).
    public func visitBuffers(_ visitor: (String, Buffer) -> Void) {
        for (prefix, layer) in zip(sublayerNames, sublayers) {
            layer.visitBuffers { name, buffer in visitor("\(prefix).\(name)", buffer) }
        }
    }

    /// True when every sublayer keeps to them (only for running the container outside a step's runner).
    public var keepsToGradientChunks: Bool { sublayers.allSatisfy(\.keepsToGradientChunks) }
}

/// Per-unit arithmetic for `LayerContainer.forward(units:runner:)`: a unit without samples (nil)
/// stays nil.
public enum Units {
    /// Each unit's tensors added element-wise (same shapes), in parallel slices, into the first
    /// tensor's storage when nothing else holds it.
    public static func adding(_ first: [Tensor?], _ second: [Tensor?]) -> [Tensor?] {
        zip(first, second).map { a, b in
            guard let a, let b else { return nil }
            return sum(a, b)
        }
    }

    /// `a + b` (same shapes), in parallel slices, into `a`'s storage when nothing else holds it
    /// (element-wise, so the bits are `+`'s for any thread count).
    public static func sum(_ a: consuming Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Shapes \(a.shape) and \(b.shape) differ")
        var total = consume a
        guard total.count > 0 else { return total }
        total.withUnsafeMutableBufferPointer { t in
            b.withUnsafeBufferPointer { b in
                let shared = UncheckedSendable((t.baseAddress!, b.baseAddress!))
                parallelSlices(t.count) { range in
                    let (t, b) = shared.value
                    for index in range { t[index] += b[index] }
                }
            }
        }
        return total
    }

    /// `transform` applied to each unit's tensor.
    public static func map(_ units: [Tensor?], _ transform: (Tensor) throws -> Tensor) rethrows -> [Tensor?] {
        try units.map { try $0.map(transform) }
    }
}
