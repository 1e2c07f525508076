import Foundation
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// A registered optimizer without weight-decay groups.
private final class PlainDescent: Optimizers.Optimizer {
    var learningRate: Float
    var state = OptimizerState()
    init(learningRate: Float) { self.learningRate = learningRate }
    func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int) {
        parameter.value -= parameter.gradient * learningRate
    }
}

private struct PlainDescentSpecification: OptimizerSpecification, KeyedSettings {
    init() {}
    func makeOptimizer(learningRate: Float, weightDecay: Float) throws -> any Optimizers.Optimizer {
        PlainDescent(learningRate: learningRate)
    }
}

/// The recipes' pipeline keys: `optimizer.type` `adamw`, `optimizer.no_weight_decay`,
/// `optimizer.gradient_clipping`, `label_smoothing`, the schedule's `warmup_steps` /
/// `warmup_epochs` and `one-cycle`. They decode into typed settings, round-trip through the
/// saved JSON, make the library's objects, and bad values are errors naming the key.
final class RecipeConfigurationTests: XCTestCase {
    private let base =
        #"{"name": "x", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 2}, "model": {"layers": [{"type": "dense", "units": 4}, {"type": "batchnorm"}, {"type": "relu"}, {"type": "dense"}]}, "loss": "cross-entropy", "label_smoothing": 0.1, "optimizer": {"type": "adamw", "learning_rate": 0.01, "beta2": 0.99, "no_weight_decay": ["bias", "batchnorm"], "gradient_clipping": {"max_norm": 1.5}}, "schedule": {"type": "cosine", "warmup_steps": 3}, "epochs": 4, "seed": 1}"#

    private func configuration(_ text: String) throws -> RunConfiguration {
        try RunConfiguration.decode(Data(text.utf8), path: "recipes.json")
    }

    private func decodingError(_ text: String) -> RunConfigurationError? {
        do {
            _ = try configuration(text)
            return nil
        } catch {
            return error as? RunConfigurationError
        }
    }

    func testTheRecipesDecodeRoundTripAndBuild() throws {
        let decoded = try configuration(base)
        XCTAssertEqual(decoded.labelSmoothing, 0.1)
        XCTAssertEqual(decoded.optimizer.type, "adamw")
        XCTAssertEqual(decoded.optimizer.noWeightDecay, [.bias, .batchnorm])
        XCTAssertEqual(decoded.optimizer.gradientClipping?.maxNorm, 1.5)
        XCTAssertEqual((decoded.optimizer.settings as? AdamWSpecification)?.beta2, 0.99)
        XCTAssertEqual(decoded.schedule?.warmupSteps, 3)
        XCTAssertEqual(try configuration(decoded.jsonText()), decoded)
        // The same configuration in code.
        var code = decoded
        code.optimizer = .adamW(learningRate: 0.01, beta2: 0.99, noWeightDecay: [.bias, .batchnorm]).clippingGradients(maxNorm: 1.5)
        code.schedule = .cosine(warmupSteps: 3)
        XCTAssertEqual(code, decoded)

        let model = try decoded.makeModel(for: DataSummary(sampleCount: 4, classCount: 2, sampleShape: [2]))
        let optimizer = try XCTUnwrap(try decoded.makeOptimizer(for: model, path: "recipes.json") as? AdamW)
        XCTAssertEqual(optimizer.weightDecay, 0.01)  // PyTorch's default for AdamW
        XCTAssertEqual(optimizer.beta2, 0.99)
        XCTAssertEqual(optimizer.undecayedParameters, ["0.bias", "1.weight", "1.bias", "3.bias"])
        let loss = try decoded.makeLoss(path: "recipes.json")
        XCTAssertEqual((loss.function as? CrossEntropyLabelLoss)?.crossEntropy.labelSmoothing, 0.1)
        let callbacks = try decoded.makeRecipeCallbacks(path: "recipes.json")
        XCTAssertEqual(callbacks.count, 1)
        XCTAssertEqual((callbacks.first as? GradientClippingCallback)?.maxNorm, 1.5)
    }

    func testSchedulesAreTheLibrarysWithTheRunsSteps() throws {
        var decoded = try configuration(base)
        // 4 epochs of 2 batches: 8 steps, 3 of warm-up, then a cosine decay over the other 5.
        let warmed = try XCTUnwrap(try decoded.makeSchedule(batchesPerEpoch: 2) as? LinearWarmup)
        XCTAssertEqual(warmed.steps, 3)
        XCTAssertEqual((warmed.after as? CosineDecay)?.totalSteps, 5)
        for (step, rate) in [0.01 / 3, 0.02 / 3, 0.01, 0.01].enumerated() {
            XCTAssertEqual(Double(warmed.learningRate(atStep: step)), rate, accuracy: 1e-9, "step \(step)")
        }
        decoded.schedule = RunConfiguration.Schedule {
            $0.type = .step
            $0.warmupEpochs = 1
        }
        let stepped = try XCTUnwrap(try decoded.makeSchedule(batchesPerEpoch: 2) as? LinearWarmup)
        XCTAssertEqual(stepped.steps, 2)
        XCTAssertEqual((stepped.after as? StepDecay)?.interval, 20)
        decoded.schedule = RunConfiguration.Schedule {
            $0.type = .constant
            $0.warmupSteps = 2
        }
        XCTAssertEqual(try decoded.makeSchedule(batchesPerEpoch: 2).map { s in (0..<4).map(s.learningRate(atStep:)) }, [0.005, 0.01, 0.01, 0.01])
        decoded.schedule = .oneCycle(warmupFraction: 0.5)
        let cycle = try XCTUnwrap(try decoded.makeSchedule(batchesPerEpoch: 2) as? OneCycle)
        XCTAssertEqual(cycle.maximum, 0.01)  // the optimizer's rate is the peak (max_lr)
        XCTAssertEqual(cycle.totalSteps, 8)
        XCTAssertEqual(cycle.initialDivisor, 25)
        XCTAssertEqual(cycle.finalDivisor, 1e4)
    }

    func testBadRecipeValuesNameTheirKey() {
        let cases: [(original: String, replacement: String, key: String, fragment: String)] = [
            (#""max_norm": 1.5"#, #""max_norm": -1"#, "optimizer.gradient_clipping.max_norm", "must be a positive finite number"),
            (#""max_norm": 1.5"#, #""max_norm": 0"#, "optimizer.gradient_clipping.max_norm", "must be a positive finite number"),
            (#"{"max_norm": 1.5}"#, "{}", "optimizer.gradient_clipping.max_norm", "required key is missing"),
            (#""max_norm": 1.5"#, #""max_norm": 1.5, "norm_type": 2"#, "optimizer.gradient_clipping.norm_type", "unknown key"),
            (#"["bias", "batchnorm"]"#, #"["bias", "weights"]"#, "optimizer.no_weight_decay[1]", "unknown value 'weights'"),
            (#""type": "adamw""#, #""type": "adam""#, "optimizer.no_weight_decay", "absent without weight decay"),
            (#""beta2": 0.99"#, #""beta2": 1"#, "optimizer.beta2", "not allowed"),
            (#""label_smoothing": 0.1"#, #""label_smoothing": 1.5"#, "label_smoothing", "a number in [0, 1]"),
            (#""loss": "cross-entropy""#, #""loss": "mse""#, "label_smoothing", "absent unless the loss is cross-entropy"),
            (#""warmup_steps": 3"#, #""warmup_steps": 0"#, "schedule.warmup_steps", "1 or more"),
            (#""warmup_steps": 3"#, #""warmup_steps": 3, "warmup_epochs": 1"#, "schedule.warmup_epochs", "absent when warmup_steps (3) is given"),
            (#""type": "cosine""#, #""type": "one-cycle""#, "schedule.warmup_steps", "absent for one-cycle"),
            (#""warmup_steps": 3"#, #""warmup_fraction": 0.3"#, "schedule.warmup_fraction", "absent unless the type is one-cycle"),
            (
                #""type": "cosine", "warmup_steps": 3"#, #""type": "one-cycle", "warmup_fraction": 1"#, "schedule.warmup_fraction",
                "above 0 and below 1"
            ),
            (#""type": "cosine", "warmup_steps": 3"#, #""type": "one-cycle", "final_divisor": 0"#, "schedule.final_divisor", "positive"),
        ]
        for item in cases {
            let text = base.replacingOccurrences(of: item.original, with: item.replacement)
            XCTAssertNotEqual(text, base, item.replacement)
            let error = decodingError(text)
            XCTAssertEqual(error?.key, item.key, "\(item.replacement): \(String(describing: error))")
            XCTAssertEqual(error?.path, "recipes.json")
            XCTAssertTrue(error?.description.contains(item.fragment) == true, "\(item.replacement): \(String(describing: error))")
        }
    }

    func testSchedulesThatDoNotFitTheRunNameTheirKey() throws {
        let cases: [(replacement: String, key: String, fragment: String)] = [
            (
                #""type": "cosine", "warmup_steps": 8"#, "schedule.warmup_steps",
                "the warm-up (8 steps) must end before the run does (8 steps: 4 epoch(s) of 2 batch(es))"
            ),
            (#""type": "step", "warmup_epochs": 4"#, "schedule.warmup_epochs", "the warm-up (8 steps) must end before the run does"),
            (#""type": "one-cycle", "warmup_fraction": 0.1"#, "schedule.warmup_fraction", "OneCycle("),
        ]
        for item in cases {
            let decoded = try configuration(base.replacingOccurrences(of: #""type": "cosine", "warmup_steps": 3"#, with: item.replacement))
            XCTAssertThrowsError(try decoded.makeSchedule(batchesPerEpoch: 2, path: "recipes.json"), item.replacement) { error in
                let error = error as? RunConfigurationError
                XCTAssertEqual(error?.key, item.key, item.replacement)
                XCTAssertEqual(error?.path, "recipes.json")
                XCTAssertTrue(error?.reason.contains(item.fragment) == true, "\(String(describing: error))")
            }
        }
    }

    func testWeightDecayGroupsNeedAnOptimizerThatKeepsThem() throws {
        OptimizerRegistry.register("plain-descent-for-recipes", PlainDescentSpecification.self)
        let decoded = try configuration(
            base.replacingOccurrences(of: #""type": "adamw""#, with: #""type": "plain-descent-for-recipes", "weight_decay": 0.1"#)
                .replacingOccurrences(of: #", "beta2": 0.99"#, with: ""))
        let model = try decoded.makeModel(for: DataSummary(sampleCount: 4, classCount: 2, sampleShape: [2]))
        XCTAssertThrowsError(try decoded.makeOptimizer(for: model, path: "recipes.json")) { error in
            let error = error as? RunConfigurationError
            XCTAssertEqual(error?.key, "optimizer.no_weight_decay")
            XCTAssertTrue(error?.reason.contains("does not conform to WeightDecayGrouping") == true, "\(String(describing: error))")
        }
    }
}
