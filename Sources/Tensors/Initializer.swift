/// How to fill a new parameter tensor. Random initializers take the generator explicitly.
///
/// Fans follow PyTorch: for a shape `[out, in, k...]`, fan-in is `in * prod(k)` and fan-out is
/// `out * prod(k)`; a rank-1 shape has fan-in and fan-out equal to its length.
public enum Initializer: Sendable, Equatable {
    /// All zeros.
    case zeros
    /// Every element equal to the value.
    case constant(Float)
    /// Uniform in [lower, upper).
    case uniform(lower: Float, upper: Float)
    /// Normal with the given mean and standard deviation.
    case normal(mean: Float, standardDeviation: Float)
    /// Glorot/Xavier uniform: bound `gain * sqrt(6 / (fanIn + fanOut))`.
    case xavierUniform(gain: Float)
    /// Glorot/Xavier normal: deviation `gain * sqrt(2 / (fanIn + fanOut))`.
    case xavierNormal(gain: Float)
    /// He/Kaiming uniform: bound `gain * sqrt(3 / fanIn)` (gain √2 for ReLU networks).
    case heUniform(gain: Float)
    /// He/Kaiming normal: deviation `gain / sqrt(fanIn)`.
    case heNormal(gain: Float)
    /// Given values; the shape must match the parameter's.
    case values(Tensor)

    /// Glorot/Xavier uniform with gain 1.
    public static let xavierUniform = Initializer.xavierUniform(gain: 1)
    /// Glorot/Xavier normal with gain 1.
    public static let xavierNormal = Initializer.xavierNormal(gain: 1)
    /// He uniform with gain √2 (ReLU).
    public static let heUniform = Initializer.heUniform(gain: Float(2).squareRoot())
    /// He normal with gain √2 (ReLU).
    public static let heNormal = Initializer.heNormal(gain: Float(2).squareRoot())

    /// PyTorch's default for `Linear` and `Conv2d` weights and biases:
    /// uniform in ±1/sqrt(fanIn), where `fanIn` is the layer's (not the bias's) fan-in.
    public static func pytorchDefault(fanIn: Int) -> Initializer {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return .uniform(lower: -bound, upper: bound)
    }

    /// The fan-in and fan-out of a parameter of the given shape.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        default:
            let receptive = shape.dropFirst(2).reduce(1, *)
            return (shape[1] * receptive, shape[0] * receptive)
        }
    }

    /// A new tensor of `shape` drawn (in row-major order) from this initializer.
    public func makeTensor(shape: [Int], generator: inout RandomGenerator) -> Tensor {
        let count = Tensor.elementCount(of: shape)
        let (fanIn, fanOut) = Initializer.fans(of: shape)
        func uniform(_ bound: Float) -> Tensor {
            Tensor(shape: shape, scalars: (0..<count).map { _ in generator.uniform(from: -bound, to: bound) })
        }
        func normal(_ mean: Float, _ deviation: Float) -> Tensor {
            Tensor(shape: shape, scalars: (0..<count).map { _ in generator.normal(mean: mean, standardDeviation: deviation) })
        }
        switch self {
        case .zeros:
            return Tensor(shape: shape, repeating: 0)
        case .constant(let value):
            return Tensor(shape: shape, repeating: value)
        case .uniform(let lower, let upper):
            return Tensor(shape: shape, scalars: (0..<count).map { _ in generator.uniform(from: lower, to: upper) })
        case .normal(let mean, let deviation):
            return normal(mean, deviation)
        case .xavierUniform(let gain):
            return uniform(gain * (6 / Float(fanIn + fanOut)).squareRoot())
        case .xavierNormal(let gain):
            return normal(0, gain * (2 / Float(fanIn + fanOut)).squareRoot())
        case .heUniform(let gain):
            return uniform(gain * (3 / Float(fanIn)).squareRoot())
        case .heNormal(let gain):
            return normal(0, gain / Float(fanIn).squareRoot())
        case .values(let tensor):
            precondition(tensor.shape == shape, "Initializer values have shape \(tensor.shape), expected \(shape)")
            return tensor
        }
    }
}
