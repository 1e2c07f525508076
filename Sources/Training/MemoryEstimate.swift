import Layers
import SystemIO

/// The peak memory of a training run, estimated from the model and the batch before anything is
/// allocated, so that a run that cannot fit is refused with both figures instead of failing to
/// allocate (or swapping) later. Every product is computed with overflow checks: a count that
/// does not fit in 64 bits is an estimate of `Int.max`, refused like any other.
///
/// The parts (bytes): the parameters with their gradients and optimizer slots, plus one copy of
/// the values and slots for the checkpoint written in the background; the activations one step
/// keeps for the backward pass (every layer's output, a convolution's unfolded input columns,
/// max pooling's and batch normalisation's and dropout's per-element state) and the two largest
/// gradients alive during the backward pass; the batches of the prefetch queue and its spare slots;
/// and the process itself (the Swift runtime, oneDNN and the loaded code), measured.
public struct MemoryEstimate: Sendable, Equatable {
    /// The process before any data or model (runtime, libraries, code), measured on Linux x86-64.
    public static let processBytes = 48 << 20
    /// Parameters, gradients, optimizer slots and the checkpoint's copy.
    public var parameterBytes: Int
    /// Activations and gradients of one step.
    public var activationBytes: Int
    /// Batches in the prefetch queue and its spare slots.
    public var batchBytes: Int
    /// The process itself.
    public var processBytes = MemoryEstimate.processBytes

    /// Creates an estimate from its parts.
    public init(parameterBytes: Int, activationBytes: Int, batchBytes: Int) {
        self.parameterBytes = parameterBytes
        self.activationBytes = activationBytes
        self.batchBytes = batchBytes
    }

    /// The estimated peak (saturating at `Int.max`).
    public var totalBytes: Int {
        [parameterBytes, activationBytes, batchBytes].reduce(processBytes) { MemoryEstimate.add($0, $1) }
    }

    /// The estimate of training `model` on samples of `sampleShape` in batches of `batchSize`,
    /// with `optimizerSlots` tensors of state per parameter (SGD 0, with momentum 1; Adam 2) and
    /// `prefetch` batches prepared ahead.
    public static func training(model: Sequential, sampleShape: [Int], batchSize: Int, optimizerSlots: Int, prefetch: Int) -> MemoryEstimate {
        let parameters = model.parameterCount
        // Values, gradients and slots; the checkpoint writer's copy of values and slots.
        let parameterFloats = multiply(parameters, 2 + optimizerSlots + 1 + optimizerSlots)
        var saved = Saved(floats: count(sampleShape), largest: count(sampleShape))
        _ = saved.add(model, input: sampleShape)
        let perSample = add(saved.floats, multiply(saved.largest, 2))
        let batchFloats = multiply(count(sampleShape), multiply(batchSize, add(prefetch, 2)))
        return MemoryEstimate(
            parameterBytes: multiply(parameterFloats, 4), activationBytes: multiply(multiply(perSample, batchSize), 4),
            batchBytes: multiply(batchFloats, 4))
    }

    /// What one sample's forward pass keeps for the backward pass, in floats, and its largest
    /// single tensor (gradients of that size exist at once during the backward pass).
    private struct Saved {
        var floats: Int
        var largest: Int

        /// Adds what `layer` keeps for an input of `input` (one sample) and returns its output
        /// shape, or nil when it cannot take that input. Containers are opened: a `Sequential`'s
        /// layers in a chain, a residual block's body and shortcut from the same input (its sum
        /// and activation kept too), another container's sublayers as a chain when they chain.
        mutating func add(_ layer: any Layer, input: [Int]) -> [Int]? {
            switch layer {
            case let chain as Sequential:
                return addChain(chain.layers, input: input)
            case let block as Residual:
                guard let main = addChain(block.body.layers, input: input), addChain(block.shortcut.layers, input: input) != nil else { return nil }
                keep(main, factor: 1)  // the sum
                guard let activation = block.activation else { return main }
                return add(activation, input: main)
            case let container as any LayerContainer:
                if let output = addChain(container.sublayers, input: input) { return output }
                guard let output = try? container.outputShape(forInputShape: input) else { return nil }
                keep(output, factor: 1)
                return output
            default:
                guard let output = try? layer.outputShape(forInputShape: input) else { return nil }
                keep(output, factor: 1 + MemoryEstimate.stateFactor(of: layer))
                if let convolution = layer as? Conv2D {
                    // The unfolded columns (none for a direct convolution, which keeps only its input).
                    floats = MemoryEstimate.add(floats, convolution.unfoldedFloatsPerSample(forInputShape: input))
                }
                return output
            }
        }

        /// Adds `layers` applied one after another; nil when one cannot take its input.
        private mutating func addChain(_ layers: [any Layer], input: [Int]) -> [Int]? {
            var shape = input
            for layer in layers {
                guard let output = add(layer, input: shape) else { return nil }
                shape = output
            }
            return shape
        }

        /// Keeps `factor` floats per element of a tensor of `shape`.
        private mutating func keep(_ shape: [Int], factor: Int) {
            let elements = MemoryEstimate.count(shape)
            largest = max(largest, elements)
            floats = MemoryEstimate.add(floats, MemoryEstimate.multiply(elements, factor))
        }
    }

    /// Per-element state a layer keeps besides its output (in floats per output element).
    private static func stateFactor(of layer: any Layer) -> Int {
        switch layer {
        case is MaxPool2D, is BatchNorm, is Dropout: return 1
        default: return 0
        }
    }

    /// Throws unless the estimate fits `limit` bytes (`source` says where the limit comes from).
    public func check(limit: Int, source: String) throws(MemoryBudgetError) {
        guard totalBytes > limit else { return }
        throw MemoryBudgetError(
            what: "the run", neededBytes: totalBytes, limitBytes: limit, limitSource: source,
            detail: "parameters with gradients and optimizer state \(MemoryAvailable.describe(parameterBytes)), "
                + "one batch's activations \(MemoryAvailable.describe(activationBytes)), "
                + "prefetched batches \(MemoryAvailable.describe(batchBytes))",
            fix: "use a smaller batch_size, prefetch or model, or raise the limit with --memory-limit "
                + "(TrainingOverrides.memoryLimit in code) if the memory is there")
    }

    /// The elements of a shape, saturating at `Int.max`.
    public static func count(_ shape: [Int]) -> Int {
        shape.reduce(1) { multiply($0, max($1, 0)) }
    }

    /// `a * b`, saturating at `Int.max` instead of overflowing.
    public static func multiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    /// `a + b`, saturating at `Int.max` instead of overflowing.
    public static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}

/// An allocation (or a whole run) larger than the memory it may use: what, both figures, what to do.
public struct MemoryBudgetError: Error, Equatable, CustomStringConvertible {
    /// What would be allocated (`the run`, `--sizes 99999999`).
    public var what: String
    /// The bytes it needs (`Int.max`: beyond 64 bits).
    public var neededBytes: Int
    /// The bytes it may use.
    public var limitBytes: Int
    /// Where the limit comes from.
    public var limitSource: String
    /// The parts of the figure, if any.
    public var detail: String?
    /// What to do.
    public var fix: String

    /// Creates the error.
    public init(what: String, neededBytes: Int, limitBytes: Int, limitSource: String, detail: String? = nil, fix: String) {
        self.what = what
        self.neededBytes = neededBytes
        self.limitBytes = limitBytes
        self.limitSource = limitSource
        self.detail = detail
        self.fix = fix
    }

    /// What, the estimate, the limit and its source, and the parts (without the fix).
    public var statement: String {
        let needed =
            neededBytes == Int.max
            ? "more than 2^63 bytes (the size overflows 64 bits)" : "an estimated \(MemoryAvailable.describe(neededBytes)) (\(neededBytes) bytes)"
        return "\(what) needs \(needed), more than the \(MemoryAvailable.describe(limitBytes)) (\(limitBytes) bytes) of \(limitSource)"
            + (detail.map { ": \($0)" } ?? "")
    }

    /// One line: the statement and the fix.
    public var description: String { "\(statement); \(fix)" }
}
