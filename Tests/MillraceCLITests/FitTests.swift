import Foundation
import Millrace
import TestSupport
import XCTest

/// `Fit`, the one call for a model described in code, is the path `millrace train` takes: the
/// same model, data and seed give the same bytes of weights and optimizer state either way, and
/// the code-built run's checkpoints load in `millrace evaluate` and `millrace predict`.
final class FitTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!
    private var digits: String { "\(Fixtures.repositoryRoot.path)/datasets/digits" }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func codeBuilt(_ name: String, epochs: Int = 2, start: Fit.Start = .latest) -> Fit {
        var fit = Fit(
            model: [.dense(units: 32), .relu, .dense()],
            data: .images(digits, channels: .gray, validationSplit: 0.2),
            optimizer: .adam(learningRate: 0.003), epochs: epochs, batchSize: 32, seed: 4,
            runDirectory: directory.path(name).path, start: start)
        fit.reporter = ProgressReporter(isTerminal: false, verbosity: .quiet)
        fit.configuration.pipeline.threads = 2
        return fit
    }

    func testCodeAndPipelineFileGiveTheSameBytes() throws {
        let result = try codeBuilt("code").run()
        XCTAssertEqual(result.summary.epochs, 2)
        XCTAssertFalse(result.summary.interrupted)
        let pipeline = """
            {"name": "code", "dataset": {"kind": "image-folder", "path": "\(digits)", "channels": "gray", "validation_split": 0.2},
             "pipeline": {"batch_size": 32, "threads": 2},
             "model": {"layers": [{"type": "dense", "units": 32}, {"type": "relu"}, {"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": {"type": "adam", "learning_rate": 0.003}, "epochs": 2, "seed": 4}
            """
        try pipeline.write(to: directory.path("pipeline.json"), atomically: true, encoding: .utf8)
        let file = try BuiltProducts.run(
            millrace, ["train", directory.path("pipeline.json").path, "--run-dir", directory.path("file").path, "--quiet"])
        XCTAssertEqual(file.status, 0, file.errors)
        let fromCode = try CommittedCheckpoint.latest(in: directory.path("code/checkpoints"))
        let fromFile = try CommittedCheckpoint.latest(in: directory.path("file/checkpoints"))
        XCTAssertEqual(fromCode.step, result.summary.steps)
        XCTAssertEqual(fromCode.step, fromFile.step)
        XCTAssertEqual(fromCode.model, fromFile.model, "model.safetensors")
        XCTAssertEqual(fromCode.optimizer, fromFile.optimizer, "the optimizer's tensors")
        for name in ["metrics.jsonl", "report.html", "configuration.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path("code/\(name)").path), name)
        }
    }

    func testCodeBuiltCheckpointsLoadInEvaluateAndPredict() throws {
        let result = try codeBuilt("code", epochs: 1).run()
        let checkpoint = try XCTUnwrap(result.summary.checkpoint)
        let evaluate = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", digits, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.errors)
        let evaluation = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any])
        XCTAssertEqual(evaluation["count"] as? Int, 178 + 182 + 177 + 183 + 181 + 182 + 181 + 179 + 174 + 180)
        let image = "\(digits)/3/" + (try FileManager.default.contentsOfDirectory(atPath: "\(digits)/3").sorted()[0])
        let predict = try BuiltProducts.run(millrace, ["predict", checkpoint, image, "--json"])
        XCTAssertEqual(predict.status, 0, predict.errors)
        XCTAssertTrue(predict.output.contains("\"3\""), predict.output)
    }

    func testResumingContinuesWhereTheFirstCallStopped() throws {
        let whole = try codeBuilt("whole", epochs: 2).run()
        _ = try codeBuilt("split", epochs: 1).run()
        let resumed = try codeBuilt("split", epochs: 2).run()
        XCTAssertEqual(resumed.summary.steps, whole.summary.steps)
        XCTAssertEqual(
            try CommittedCheckpoint.latest(in: directory.path("split/checkpoints")).model,
            try CommittedCheckpoint.latest(in: directory.path("whole/checkpoints")).model)
    }

    /// A `Sequential` of layer instances trains as it is; with the weights the entries would get
    /// from the seed, it trains to the same bytes, and its checkpoint describes it for predict.
    func testAModelOfLayerInstancesTrainsLikeItsEntries() throws {
        let entries: [RunConfiguration.LayerEntry] = [.dense(units: 32), .relu, .dense()]
        let instances = try ModelBuilder.build(entries, sampleShape: [1, 8, 8], classes: 10, seed: 4)
        XCTAssertTrue(instances.layers.first is Flatten, "the builder put a flatten in front of the dense layer")
        var fit = codeBuilt("instances")
        fit.model = instances
        fit.configuration.model.layers = []
        let result = try fit.run()
        _ = try codeBuilt("entries").run()
        XCTAssertEqual(
            try CommittedCheckpoint.latest(in: directory.path("instances/checkpoints")).model,
            try CommittedCheckpoint.latest(in: directory.path("entries/checkpoints")).model)
        let image = "\(digits)/7/" + (try FileManager.default.contentsOfDirectory(atPath: "\(digits)/7").sorted()[0])
        let predict = try BuiltProducts.run(millrace, ["predict", try XCTUnwrap(result.summary.checkpoint), image, "--json"])
        XCTAssertEqual(predict.status, 0, predict.errors)
    }

    /// A layer nobody registered is refused before the first step, naming it and the call to add.
    func testAnUnregisteredLayerIsNamedWithItsRegistration() throws {
        final class Doubling: Layer {
            func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) {
                (input * 2, { gradient in gradient * 2 })
            }
        }
        var fit = codeBuilt("unregistered")
        var generator = RandomGenerator(seed: 1)
        fit.model = Sequential([Flatten(), Doubling(), Dense(inputSize: 64, outputSize: 10, generator: &generator)])
        XCTAssertThrowsError(try fit.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("Doubling") && text.contains("LayerRegistry.register"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path("unregistered/checkpoints/latest").path))
    }

    func testStartingFromTheBeginningRefusesEarlierCheckpoints() throws {
        _ = try codeBuilt("run", epochs: 1).run()
        XCTAssertThrowsError(try codeBuilt("run", epochs: 1, start: .beginning).run()) { error in
            XCTAssertTrue("\(error)".contains("resume"), "\(error)")
            // In Fit's words, not the command line's.
            XCTAssertTrue("\(error)".contains("start: .latest") && "\(error)".contains("start: .over"), "\(error)")
            XCTAssertFalse("\(error)".contains("--restart") || "\(error)".contains("--run-dir"), "\(error)")
        }
    }

    func testADivergedFitIsAdvisedInFitsWords() throws {
        var fit = codeBuilt("diverging", epochs: 1)
        // A learning rate of 1e30 sends the weights past Float's range after the first update.
        fit.configuration.optimizer = .sgd(learningRate: 1e30)
        XCTAssertThrowsError(try fit.run()) { error in
            XCTAssertEqual((error as? DivergenceError)?.step, 2, "\(error)")
            XCTAssertTrue("\(error)".contains("start: .latest and a smaller learningRate"), "\(error)")
            XCTAssertFalse("\(error)".contains("--resume") || "\(error)".contains("--learning-rate"), "\(error)")
        }
    }

    /// A regression from code (`.csv(targetColumns:)`, a regression loss) is the shipped
    /// pipelines/regression-housing.json run through the command: the same bytes.
    func testARegressionFromCodeMatchesItsPipelineFile() throws {
        let root = Fixtures.repositoryRoot.path
        var fit = Fit(
            model: [.dense(units: 32), .tanh, .dense()],
            data: .csv("\(root)/datasets/housing.csv", targetColumns: ["price"], validationSplit: 0.2), loss: "mean-squared-error",
            optimizer: .adam(learningRate: 0.01), epochs: 2, batchSize: 32, seed: 1, runDirectory: directory.path("code").path)
        fit.reporter = ProgressReporter(isTerminal: false, verbosity: .quiet)
        fit.configuration.pipeline.threads = 2
        fit.configuration.pipeline.augmentations = [
            RunConfiguration.Augmentation {
                $0.normalize = RunConfiguration.Augmentation.Normalize {
                    $0.mean = [120, 30, 3.5]
                    $0.std = [46, 17, 1.7]
                }
            }
        ]
        let result = try fit.run()
        XCTAssertEqual(result.summary.epochs, 2)
        let file = try BuiltProducts.run(
            millrace,
            ["train", "\(root)/pipelines/regression-housing.json", "--epochs", "2", "--run-dir", directory.path("file").path, "--quiet"])
        XCTAssertEqual(file.status, 0, file.errors)
        let fromCode = try CommittedCheckpoint.latest(in: directory.path("code/checkpoints"))
        let fromFile = try CommittedCheckpoint.latest(in: directory.path("file/checkpoints"))
        XCTAssertEqual(fromCode.step, fromFile.step)
        XCTAssertEqual(fromCode.model, fromFile.model, "model.safetensors")
        XCTAssertEqual(fromCode.optimizer, fromFile.optimizer, "the optimizer's tensors")
    }
}
