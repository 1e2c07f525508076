import DataPipeline
import Distributed
import Foundation
import Layers
import Optimizers
import Tensors
import TestSupport
import Training
import XCTest

/// Records each step's learning rate and, at `.beforeUpdate`, the global norm of the gradients
/// the update is about to use.
private final class UpdateRecorder: TrainingCallback {
    var rates: [Float] = []
    var norms: [Double] = []

    func handle(_ event: TrainingEvent, trainer: Trainer) throws {
        switch event {
        case .beforeUpdate:
            var squares = 0.0
            trainer.model.visitParameters { _, parameter in
                for value in parameter.gradient.scalars { squares += Double(value) * Double(value) }
            }
            norms.append(squares.squareRoot())
        case .stepEnded(let step):
            rates.append(step.learningRate)
        default:
            break
        }
    }
}

/// Runs with the recipes: a resume in the middle of the warm-up continues with the same rates
/// and the same bytes, clipping acts before the other callbacks see the gradients, and the
/// recipes give the same bits on any number of ranks.
final class RecipeRunTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    /// XOR, 2 samples a batch: 2 steps an epoch, 6 epochs, the first 5 steps a warm-up before a
    /// cosine decay; AdamW without decay on biases, label smoothing, clipping at 0.05.
    private func configuration() throws -> RunConfiguration {
        let text = """
            {"name": "recipes", "dataset": {"kind": "xor"}, "pipeline": {"batch_size": 2},
             "model": {"layers": [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "cross-entropy", "label_smoothing": 0.1,
             "optimizer": {"type": "adamw", "learning_rate": 0.05, "weight_decay": 0.1, "no_weight_decay": ["bias"],
                           "gradient_clipping": {"max_norm": 0.05}},
             "schedule": {"type": "cosine", "warmup_steps": 5}, "epochs": 6, "seed": 3}
            """
        return try RunConfiguration.decode(Data(text.utf8), path: "recipes.json")
    }

    /// Trains in `name`, stopping after `stopAfter` steps (a checkpoint is saved), or resuming.
    private func train(_ name: String, stopAfter: Int? = nil, resume: Bool = false) throws -> (recorder: UpdateRecorder, summary: RunSummary) {
        var overrides = TrainingOverrides()
        overrides.runDirectory = directory.path(name).path
        overrides.resume = resume
        overrides.quiet = true
        let run = try TrainingRun(configuration: try configuration(), overrides: overrides, path: "recipes.json")
        let recorder = UpdateRecorder()
        var steps = 0
        let summary = try run.run(
            reporter: ProgressReporter(isTerminal: false, verbosity: .quiet),
            interrupted: {
                steps += 1
                return steps == stopAfter
            }, callbacks: [recorder])
        return (recorder, summary)
    }

    func testResumingInTheMiddleOfTheWarmupGivesTheSameRatesAndBytes() throws {
        let whole = try train("whole")
        XCTAssertEqual(whole.summary.steps, 12)
        // The rates: (s + 1) / 5 of 0.05 for s < 5, then cosine from 0.05 to 0 over the other 7 steps.
        let expected: [Double] = (0..<12).map { (s: Int) -> Double in
            guard s >= 5 else { return 0.05 * Double(s + 1) / 5 }
            return 0.05 * (1 + cos(Double.pi * Double(s - 5) / 7)) / 2
        }
        for (step, (rate, wanted)) in zip(whole.recorder.rates, expected).enumerated() {
            XCTAssertEqual(Double(rate), wanted, accuracy: 1e-8, "step \(step)")
        }
        let first = try train("split", stopAfter: 3)
        XCTAssertTrue(first.summary.interrupted)
        XCTAssertEqual(first.summary.steps, 3)
        let resumed = try train("split", resume: true)
        XCTAssertEqual(resumed.summary.steps, 12)
        XCTAssertEqual(first.recorder.rates + resumed.recorder.rates, whole.recorder.rates)
        let straight = try CommittedCheckpoint.latest(in: directory.path("whole/checkpoints"))
        let split = try CommittedCheckpoint.latest(in: directory.path("split/checkpoints"))
        XCTAssertEqual(split.step, straight.step)
        XCTAssertEqual(split.model, straight.model, "model.safetensors")
        XCTAssertEqual(split.optimizer, straight.optimizer, "the optimizer's tensors")
    }

    func testClippingActsBeforeTheOtherCallbacksSeeTheGradients() throws {
        let run = try train("clipped")
        XCTAssertEqual(run.recorder.norms.count, 12)
        // Every update's gradients within the limit (a norm of about 0.05 where it clipped) ...
        for (step, norm) in run.recorder.norms.enumerated() { XCTAssertLessThanOrEqual(norm, 0.05 * (1 + 1e-6), "step \(step)") }
        // ... and clipped at least once (label-smoothed XOR at the start has gradients far above 0.05).
        XCTAssertTrue(run.recorder.norms.contains { abs($0 - 0.05) < 1e-6 }, "\(run.recorder.norms)")
    }

    /// Dense(4→6), BatchNorm(6), ReLU, Dense(6→3) trained 3 steps on global batches of 12 in
    /// chunks of 3 with every recipe: the same bits on 1, 2 and 4 in-process ranks.
    func testTheRecipesGiveTheSameBitsOnAnyNumberOfRanks() throws {
        let plain = try recipeSteps(ranks: 1)
        XCTAssertGreaterThan(plain.clipped, 0)
        for ranks in [2, 4] {
            let parallel = try recipeSteps(ranks: ranks)
            XCTAssertEqual(parallel.losses, plain.losses, "\(ranks) ranks")
            XCTAssertEqual(parallel.parameters, plain.parameters, "\(ranks) ranks")
            XCTAssertEqual(parallel.clipped, plain.clipped, "\(ranks) ranks")
        }
    }

    private struct Outcome: Sendable {
        var losses: [Float]
        var parameters: [[UInt32]]
        var clipped: Int
    }

    private func recipeSteps(ranks: Int) throws -> Outcome {
        let globalCount = 12
        let outcomes = try InProcessRanks.run(ranks) { communicator in
            let model = Sequential(
                try Dense(weight: .random([6, 4], seed: 91), bias: .random([6], seed: 92)), BatchNorm(features: 6), ReLU(),
                try Dense(weight: .random([3, 6], seed: 93), bias: .random([3], seed: 94)))
            let optimizer = AdamW(learningRate: 0.02, weightDecay: 0.05)
            optimizer.undecayedParameters = WeightDecayExemptions([.biases, .batchNorm]).parameterNames(in: model)
            let schedule = try LinearWarmup(steps: 2, then: try CosineDecay(initial: 0.02, totalSteps: 4))
            let clipping = try GradientClippingCallback(maxNorm: 0.2)
            let loss = LabelLoss(kind: "cross-entropy", function: CrossEntropyLabelLoss(try SoftmaxCrossEntropy(labelSmoothing: 0.2)))
            var losses: [Float] = []
            for step in 0..<3 {
                let trainer = Trainer(model: model, loss: loss, optimizer: optimizer, stepCount: step, callbacks: [clipping])
                trainer.chunkSize = 3
                if ranks > 1 { trainer.exchange = OrderedGradientExchange(communicator: communicator) }
                optimizer.learningRate = schedule.learningRate(atStep: step)
                let features = Tensor.random([globalCount, 4], seed: UInt64(95 + step), lower: -1, upper: 3)
                let labels = (0..<globalCount).map { ($0 * 5 + step) % 3 }
                let batch = Batch.rankSlice(features: features, labels: labels, chunkSize: 3, rank: communicator.rank, rankCount: ranks)
                losses.append(try trainer.step(batch).loss)
            }
            return Outcome(
                losses: losses, parameters: model.namedParameters.map { $0.parameter.value.scalars.map(\.bitPattern) },
                clipped: clipping.clippedSteps)
        }
        for (rank, outcome) in outcomes.enumerated() {
            XCTAssertEqual(outcome.parameters, outcomes[0].parameters, "rank \(rank) of \(ranks)")
        }
        return outcomes[0]
    }
}
