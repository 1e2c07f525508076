import Layers
import Tensors

/// One disagreement between an analytic gradient and its central finite difference.
public struct GradientMismatch: CustomStringConvertible, Sendable {
    /// What was differentiated: `input` or a parameter name.
    public var variable: String
    /// The flat index of the element.
    public var index: Int
    /// The gradient from the pullback.
    public var analytic: Double
    /// The central finite difference.
    public var numeric: Double

    /// A one-line report.
    public var description: String {
        "\(variable)[\(index)]: analytic \(analytic), numeric \(numeric)"
    }
}

/// Checks pullbacks against central finite differences.
///
/// For a layer `f`, a fixed random upstream gradient `g` defines the scalar
/// `s(x, θ) = Σ f(x; θ) · g`; its exact derivative with respect to every input element and
/// parameter element is what the pullback must return (or accumulate), and its numeric
/// derivative is `(s(v + h) - s(v - h)) / 2h`, evaluated in double precision from `Float` outputs.
public enum GradientChecker {
    /// Returns every element whose analytic and numeric derivatives differ by more than
    /// `absoluteTolerance + relativeTolerance * max(|analytic|, |numeric|)`.
    public static func check(
        _ layer: some Layer, input: Tensor, seed: UInt64 = 11, step: Float = 1e-2,
        relativeTolerance: Double = 1e-2, absoluteTolerance: Double = 1e-3
    ) -> [GradientMismatch] {
        let makeContext = { ForwardContext(isTraining: true, generator: RandomGenerator(seed: seed, stream: [99])) }
        var generator = RandomGenerator(seed: seed)
        let probe = layer.forward(input, context: makeContext()).output
        let upstream = Tensor(shape: probe.shape, generating: { _ in generator.uniform(from: -1, to: 1) })
        func objective(_ x: Tensor) -> Double {
            let y = layer.forward(x, context: makeContext()).output
            return zip(y.scalars, upstream.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        layer.zeroGradients()
        let inputGradient = layer.forward(input, context: makeContext()).pullback(upstream)
        var mismatches: [GradientMismatch] = []
        func compare(_ name: String, _ index: Int, _ analytic: Double, _ numeric: Double) {
            if abs(analytic - numeric) > absoluteTolerance + relativeTolerance * max(abs(analytic), abs(numeric)) {
                mismatches.append(GradientMismatch(variable: name, index: index, analytic: analytic, numeric: numeric))
            }
        }
        for index in 0..<input.count {
            var plus = input
            var minus = input
            plus[flat: index] += step
            minus[flat: index] -= step
            let numeric = (objective(plus) - objective(minus)) / Double(plus[flat: index] - minus[flat: index])
            compare("input", index, Double(inputGradient[flat: index]), numeric)
        }
        for (name, parameter) in layer.namedParameters {
            let analytic = parameter.gradient
            for index in 0..<parameter.value.count {
                let original = parameter.value[flat: index]
                parameter.value[flat: index] = original + step
                let up = objective(input)
                let upValue = parameter.value[flat: index]
                parameter.value[flat: index] = original - step
                let down = objective(input)
                let downValue = parameter.value[flat: index]
                parameter.value[flat: index] = original
                compare(name, index, Double(analytic[flat: index]), (up - down) / Double(upValue - downValue))
            }
        }
        return mismatches
    }

    /// Checks a loss's gradient with respect to the output at `output`.
    public static func check<L: Loss>(
        loss: L, output: Tensor, target: L.Target, step: Float = 1e-2,
        relativeTolerance: Double = 1e-2, absoluteTolerance: Double = 1e-4
    ) -> [GradientMismatch] {
        check(output: output, step: step, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance) {
            loss.evaluate($0, target: target)
        }
    }

    /// Checks the gradient `evaluate` returns with respect to its argument at `output` against
    /// central differences of the value it returns (a loss of any protocol).
    public static func check(
        output: Tensor, step: Float = 1e-2, relativeTolerance: Double = 1e-2, absoluteTolerance: Double = 1e-4,
        evaluate: (Tensor) -> (value: Float, gradient: Tensor)
    ) -> [GradientMismatch] {
        let analytic = evaluate(output).gradient
        var mismatches: [GradientMismatch] = []
        for index in 0..<output.count {
            var plus = output
            var minus = output
            plus[flat: index] += step
            minus[flat: index] -= step
            let numeric =
                (Double(evaluate(plus).value) - Double(evaluate(minus).value)) / Double(plus[flat: index] - minus[flat: index])
            let a = Double(analytic[flat: index])
            if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                mismatches.append(GradientMismatch(variable: "output", index: index, analytic: a, numeric: numeric))
            }
        }
        return mismatches
    }
}

extension Tensor {
    /// A tensor of uniform values in [lower, upper) from a seed, for tests.
    public static func random(_ shape: [Int], seed: UInt64, lower: Float = -1, upper: Float = 1) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Initializer.uniform(lower: lower, upper: upper).makeTensor(shape: shape, generator: &generator)
    }
}
