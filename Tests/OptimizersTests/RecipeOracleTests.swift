import Layers
import Optimizers
import Tensors
import TestSupport
import XCTest

/// A layer holding a weight and a bias whose gradients tests set by hand.
private final class WeightAndBias: Layer {
    let weight: Parameter
    let bias: Parameter
    init(weight: [Double], bias: [Double]) {
        self.weight = Parameter(Tensor(weight.map(Float.init)))
        self.bias = Parameter(Tensor(bias.map(Float.init)))
    }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) { (input, { $0 }) }
    func visitParameters(_ visitor: (String, Parameter) -> Void) {
        visitor("weight", weight)
        visitor("bias", bias)
    }
}

/// The recipes against `Tests/Fixtures/recipes-oracle.json`, which
/// `Tests/Fixtures/make_recipes_oracle.py` computes in float64 with NumPy from PyTorch's
/// documented algorithms, for example AdamW's step for the decayed group:
///
///     p = p * (1 - lr * wd)
///     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///     p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
final class RecipeOracleTests: XCTestCase {
    private func assertClose(_ actual: [Float], _ expected: [Double], _ tolerance: Double, _ message: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, line: line)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(Double(a), e, accuracy: tolerance, "\(message) [\(index)]", line: line)
        }
    }

    func testAdamWWithANoDecayGroupMatchesPyTorchsAlgorithm() throws {
        let oracle = try RecipesOracle.section("adamw")
        let initial = try XCTUnwrap(oracle["initial"] as? [String: Any])
        let model = WeightAndBias(weight: RecipesOracle.numbers(initial["weight"]), bias: RecipesOracle.numbers(initial["bias"]))
        let optimizer = AdamW(learningRate: 0.01, weightDecay: 0.1)
        optimizer.undecayedParameters = WeightDecayExemptions.biases.parameterNames(in: model)
        XCTAssertEqual(optimizer.undecayedParameters, ["bias"])
        let gradients = try XCTUnwrap(oracle["gradients"] as? [[String: Any]])
        let after = try XCTUnwrap(oracle["after"] as? [[String: Any]])
        XCTAssertEqual(gradients.count, 3)
        for (step, gradient) in gradients.enumerated() {
            model.weight.gradient = Tensor(RecipesOracle.numbers(gradient["weight"]).map(Float.init))
            model.bias.gradient = Tensor(RecipesOracle.numbers(gradient["bias"]).map(Float.init))
            optimizer.step(model)
            assertClose(model.weight.value.scalars, RecipesOracle.numbers(after[step]["weight"]), 2e-6, "weight after step \(step + 1)")
            assertClose(model.bias.value.scalars, RecipesOracle.numbers(after[step]["bias"]), 2e-6, "bias after step \(step + 1)")
        }
        XCTAssertEqual(optimizer.state.step, 3)
        XCTAssertEqual(Set(optimizer.state.slots.keys), ["weight", "bias"])
        XCTAssertEqual(Set(optimizer.state.slots["bias"]?.keys ?? [:].keys), ["exp_avg", "exp_avg_sq"])
    }

    func testAdamWDecaysByTheLearningRateTimesTheDecayAndAdamWithoutDecayIsTheSameBits() {
        // A zero gradient leaves the moments at 0: AdamW only shrinks, p * (1 - lr * wd) = 2 * (1 - 0.1 * 0.5) = 1.9.
        let model = WeightAndBias(weight: [2], bias: [2])
        let optimizer = AdamW(learningRate: 0.1, weightDecay: 0.5)
        optimizer.step(model)
        XCTAssertEqual(model.weight.value.scalars, [1.9])
        XCTAssertEqual(model.bias.value.scalars, [1.9])
        XCTAssertEqual(AdamW().weightDecay, 0.01)
        // With no weight decay AdamW and Adam are one algorithm: the same bits.
        let left = WeightAndBias(weight: [1, -2, 0.5], bias: [0.25])
        let right = WeightAndBias(weight: [1, -2, 0.5], bias: [0.25])
        let adam = Adam(learningRate: 0.01)
        let adamW = AdamW(learningRate: 0.01, weightDecay: 0)
        for gradient: [Float] in [[0.3, -0.1, 2], [-0.2, 0.4, 1]] {
            for model in [left, right] {
                model.weight.gradient = Tensor(gradient)
                model.bias.gradient = Tensor([gradient[0]])
            }
            adam.step(left)
            adamW.step(right)
        }
        XCTAssertEqual(left.weight.value.scalars, right.weight.value.scalars)
        XCTAssertEqual(left.bias.value.scalars, right.bias.value.scalars)
    }

    func testSGDAndAdamLeaveTheUndecayedGroupUndecayed() {
        // Zero gradients: SGD's step is -lr * wd * p for the decayed group, nothing for the other.
        let model = WeightAndBias(weight: [1], bias: [1])
        let sgd = SGD(learningRate: 0.5, weightDecay: 0.1)
        sgd.undecayedParameters = ["bias"]
        sgd.step(model)
        XCTAssertEqual(model.weight.value.scalars, [0.95])
        XCTAssertEqual(model.bias.value.scalars, [1])
        // Adam's L2 penalty enters the gradient: the undecayed parameter, with a zero gradient, stays.
        let adam = Adam(learningRate: 0.1, weightDecay: 0.1)
        adam.undecayedParameters = ["bias"]
        adam.step(model)
        XCTAssertLessThan(model.weight.value.scalars[0], 0.95)
        XCTAssertEqual(model.bias.value.scalars, [1])
    }

    func testExemptionsFindBiasesAndBatchNormParametersAtAnyDepth() throws {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential([
            Dense(inputSize: 4, outputSize: 3, generator: &generator), BatchNorm(features: 3),
            Sequential([Dense(inputSize: 3, outputSize: 2, useBias: false, generator: &generator), BatchNorm(features: 2)]),
        ])
        XCTAssertEqual(WeightDecayExemptions.biases.parameterNames(in: model), ["0.bias", "1.bias", "2.1.bias"])
        XCTAssertEqual(WeightDecayExemptions.batchNorm.parameterNames(in: model), ["1.weight", "1.bias", "2.1.weight", "2.1.bias"])
        XCTAssertEqual(
            WeightDecayExemptions([.biases, .batchNorm]).parameterNames(in: model), ["0.bias", "1.weight", "1.bias", "2.1.weight", "2.1.bias"])
        XCTAssertEqual(WeightDecayExemptions().parameterNames(in: model), [])
    }

    func testWarmupBeforeCosineAndStepDecayMatchesSequentialLR() throws {
        let schedules = try RecipesOracle.section("schedules")
        let cosine = try XCTUnwrap(schedules["warmup_cosine"] as? [String: Any])
        let warmedCosine = try LinearWarmup(steps: 4, then: try CosineDecay(initial: 0.1, minimum: 0.001, totalSteps: 12 - 4))
        assertClose((0..<12).map(warmedCosine.learningRate(atStep:)), RecipesOracle.numbers(cosine["rates"]), 1e-7, "warm-up, cosine")
        let step = try XCTUnwrap(schedules["warmup_step"] as? [String: Any])
        let warmedStep = try LinearWarmup(steps: 4, then: try StepDecay(initial: 0.1, factor: 0.5, interval: 3))
        assertClose((0..<12).map(warmedStep.learningRate(atStep:)), RecipesOracle.numbers(step["rates"]), 1e-7, "warm-up, step")
        // A pure function of the step: asking again, or out of order (a resumed run), gives the same bits.
        XCTAssertEqual((0..<12).reversed().map(warmedCosine.learningRate(atStep:)), (0..<12).map(warmedCosine.learningRate(atStep:)).reversed())
    }

    func testOneCycleMatchesOneCycleLR() throws {
        let schedules = try RecipesOracle.section("schedules")
        let defaults = try XCTUnwrap(schedules["one_cycle_defaults"] as? [String: Any])
        let standard = try OneCycle(maximum: 0.1, totalSteps: 20)
        assertClose((0..<20).map(standard.learningRate(atStep:)), RecipesOracle.numbers(defaults["rates"]), 1e-7, "one-cycle defaults")
        let custom = try XCTUnwrap(schedules["one_cycle_custom"] as? [String: Any])
        let other = try OneCycle(maximum: 0.5, totalSteps: 9, warmupFraction: 0.25, initialDivisor: 10, finalDivisor: 100)
        assertClose((0..<9).map(other.learningRate(atStep:)), RecipesOracle.numbers(custom["rates"]), 1e-7, "one-cycle 0.25, 10, 100")
        // Past the last step: the final rate.
        XCTAssertEqual(standard.learningRate(atStep: 25), standard.learningRate(atStep: 19))
    }

    func testScheduleArgumentsOutOfRangeNameTheArgument() {
        let cases: [(String, () throws -> Void)] = [
            ("steps", { _ = try LinearWarmup(steps: 0, then: ConstantLearningRate(0.1)) }),
            ("totalSteps", { _ = try OneCycle(maximum: 0.1, totalSteps: 1) }),
            ("warmupFraction", { _ = try OneCycle(maximum: 0.1, totalSteps: 10, warmupFraction: 1) }),
            ("warmupFraction", { _ = try OneCycle(maximum: 0.1, totalSteps: 3, warmupFraction: 0.3) }),
            ("initialDivisor", { _ = try OneCycle(maximum: 0.1, totalSteps: 10, initialDivisor: 0) }),
            ("finalDivisor", { _ = try OneCycle(maximum: 0.1, totalSteps: 10, finalDivisor: -1) }),
        ]
        for (argument, make) in cases {
            do {
                try make()
                XCTFail("\(argument): no error")
            } catch {
                XCTAssertEqual((error as? ArgumentError)?.argument, argument, "\(error)")
            }
        }
    }

    func testClippingByGlobalNormMatchesClipGradNorm() throws {
        let oracle = try RecipesOracle.section("clipping")
        let gradients = try XCTUnwrap(oracle["gradients"] as? [String: Any])
        let cases = try XCTUnwrap(oracle["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 2)
        for (index, item) in cases.enumerated() {
            let model = WeightAndBias(weight: [0, 0, 0, 0], bias: [0, 0])
            model.weight.gradient = Tensor(RecipesOracle.numbers(gradients["weight"]).map(Float.init))
            model.bias.gradient = Tensor(RecipesOracle.numbers(gradients["bias"]).map(Float.init))
            let maxNorm = try XCTUnwrap(item["max_norm"] as? Double)
            let norm = model.clipGradientNorm(to: Float(maxNorm))
            XCTAssertEqual(norm, try XCTUnwrap(item["norm"] as? Double), accuracy: 1e-12, "case \(index)")
            let clipped = try XCTUnwrap(item["clipped"] as? [String: Any])
            assertClose(model.weight.gradient.scalars, RecipesOracle.numbers(clipped["weight"]), 1e-6, "weight, case \(index)")
            assertClose(model.bias.gradient.scalars, RecipesOracle.numbers(clipped["bias"]), 1e-6, "bias, case \(index)")
        }
        // Below the limit the gradients keep their bits.
        let model = WeightAndBias(weight: [0, 0], bias: [0])
        model.weight.gradient = Tensor([0.1, -0.3])
        model.bias.gradient = Tensor([0.7])
        model.clipGradientNorm(to: 10)
        XCTAssertEqual(model.weight.gradient.scalars, [0.1, -0.3])
        XCTAssertEqual(model.bias.gradient.scalars, [0.7])
    }
}
