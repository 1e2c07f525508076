import Tensors

/// The checks of a layer initialiser's arguments that cannot throw (their signatures are used
/// too widely to change): the first unusable argument is kept as the layer's `argumentProblem`
/// and the layer is built with sizes it can hold (negative ones as 0, unfitting initial values
/// as zeros), so creating it never traps; its `outputShape(forInputShape:)` then throws the
/// problem, which training, evaluation, prediction and `ModelBuilder` run before the layer.
struct LayerArguments {
    /// The initialiser, as written in Swift (`Conv2D(inputChannels:outputChannels:kernelSize:…)`).
    let call: String
    /// The first unusable argument, or nil.
    private(set) var problem: ArgumentError?

    /// Records `argument`'s problem unless `condition` holds (the first problem wins).
    mutating func require(_ condition: Bool, _ argument: String, _ reason: @autoclosure () -> String, fix: String) {
        guard !condition, problem == nil else { return }
        problem = ArgumentError(call: call, argument: argument, reason: reason(), fix: fix)
    }

    /// `value` if it is 0 or more, else 0 with the problem recorded.
    mutating func size(_ value: Int, _ argument: String) -> Int {
        require(value >= 0, argument, "is \(value), a negative size", fix: "give \(argument) 0 or more")
        return max(0, value)
    }

    /// Records the problem unless `value` is 1 or more.
    mutating func positive(_ value: Int, _ argument: String) {
        require(value > 0, argument, "is \(value), not positive", fix: "give \(argument) 1 or more")
    }

    /// `initializer`'s tensor of `shape`, or zeros of `shape` with the problem recorded when its
    /// given values (`Initializer.values`) have another shape.
    mutating func tensor(_ initializer: Initializer, _ argument: String, shape: [Int], generator: inout RandomGenerator) -> Tensor {
        if case .values(let values) = initializer, values.shape != shape {
            require(false, argument, "holds values of shape \(values.shape), but the parameter is \(shape)", fix: "give values of shape \(shape)")
            return Tensor(shape: shape)
        }
        return initializer.makeTensor(shape: shape, generator: &generator)
    }
}

extension LayerShapeError {
    /// The shape check's error for a layer created with an unusable argument.
    init(_ problem: ArgumentError) {
        self.init(reason: "\(problem.call): \(problem.argument) \(problem.reason)", fix: problem.fix)
    }
}
