import Foundation
import Millrace
import TestSupport
import XCTest

@testable import OwnMillrace

/// Issue 22's acceptance: the digits model built in code from two layers of the user's own (a
/// layer norm and a skip block (a residual block of its own), Examples/OwnMillrace) with early stopping, trained through
/// the one call (`OwnMillrace fit`, `Fit` run by `MillraceCommand.main(fitting:)`), killed with
/// SIGKILL, resumed, then evaluated and used for prediction through the user's own command; and
/// the same model from the pipeline file own-digits.json trains to the same bytes.
final class OwnDigitsTests: XCTestCase {
    private let own = BuiltProducts.executable("OwnMillrace")
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!
    private var digits: String { "\(Fixtures.repositoryRoot.path)/datasets/digits" }
    /// Steps per epoch: 1,438 training samples (80% of 1,797) in batches of 32.
    private let stepsPerEpoch = 45

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func fit(_ name: String) throws -> (status: Int32, output: String, errors: String) {
        try BuiltProducts.run(own, ["fit", digits, directory.path(name).path])
    }

    private func latest(_ name: String) throws -> CommittedCheckpoint {
        try CommittedCheckpoint.latest(in: directory.path("\(name)/checkpoints"))
    }

    func testTheOneCallAndTheOwnCommandWithThePipelineFileGiveTheSameBytes() throws {
        let code = try fit("code")
        XCTAssertEqual(code.status, 0, code.errors)
        let pipeline = "\(Fixtures.repositoryRoot.path)/Examples/OwnMillrace/own-digits.json"
        let file = try BuiltProducts.run(own, ["train", pipeline, "--run-dir", directory.path("file").path, "--quiet"])
        XCTAssertEqual(file.status, 0, file.errors)
        let fromCode = try latest("code")
        let fromFile = try latest("file")
        let step = try XCTUnwrap(fromCode.step)
        XCTAssertEqual(step, fromFile.step)
        // Early stopping ended it at an epoch's end before the 12 epochs asked for.
        XCTAssertEqual(step % stepsPerEpoch, 0, "step \(step)")
        XCTAssertLessThan(step, 12 * stepsPerEpoch)
        XCTAssertTrue(code.errors.contains("early stopping: validation loss did not improve for 2 epochs"), code.errors)
        XCTAssertEqual(fromCode.model, fromFile.model, "model.safetensors")
        XCTAssertEqual(fromCode.optimizer, fromFile.optimizer, "the optimizer's tensors")
        for name in ["metrics.jsonl", "report.html", "configuration.json", "tensorboard"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path("code/\(name)").path), name)
        }
    }

    func testAKilledFitResumesToTheSameBytesAndItsCheckpointsServeEvaluateAndPredict() throws {
        let reference = try fit("reference")
        XCTAssertEqual(reference.status, 0, reference.errors)
        let expected = try latest("reference")
        // SIGKILL right after the first commit (epoch 1 of at least 3: patience 2); a run that
        // ends before its kill lands tests nothing, and the next try kills it again.
        var killedAfter: Int?
        for attempt in 1...3 where killedAfter == nil {
            let name = "killed-\(attempt)"
            let process = try BuiltProducts.start(own, ["fit", digits, directory.path(name).path])
            let polled = waitUntil {
                guard process.isRunning else { return true }
                guard let step = try? latest(name).step else { return false }
                kill(process.processIdentifier, SIGKILL)
                killedAfter = step
                return true
            }
            XCTAssertTrue(polled, "\(name) neither committed nor ended within the hang guard")
            process.waitUntilExit()
            if process.terminationReason != .uncaughtSignal { killedAfter = nil }
            guard let step = killedAfter else { continue }
            XCTAssertLessThan(step, try XCTUnwrap(expected.step))
            let resumed = try fit(name)
            XCTAssertEqual(resumed.status, 0, resumed.errors)
            XCTAssertTrue(resumed.errors.contains("resuming from"), resumed.errors)
            let final = try latest(name)
            XCTAssertEqual(final.step, expected.step, "killed after step \(step)")
            XCTAssertEqual(final.model, expected.model, "killed after step \(step): weights differ")
            XCTAssertEqual(final.optimizer, expected.optimizer, "killed after step \(step): optimizer state differs")

            let checkpoint = directory.path("\(name)/checkpoints/\(final.name)").path
            let evaluate = try BuiltProducts.run(own, ["evaluate", checkpoint, "--data", digits, "--json"])
            XCTAssertEqual(evaluate.status, 0, evaluate.errors)
            let evaluation = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any])
            XCTAssertEqual(evaluation["count"] as? Int, 178 + 182 + 177 + 183 + 181 + 182 + 181 + 179 + 174 + 180)
            XCTAssertGreaterThan(try XCTUnwrap(evaluation["accuracy"] as? Double), 0.9, evaluate.output)
            let image = "\(digits)/7/" + (try FileManager.default.contentsOfDirectory(atPath: "\(digits)/7").sorted()[0])
            let predict = try BuiltProducts.run(own, ["predict", checkpoint, image, "--json"])
            XCTAssertEqual(predict.status, 0, predict.errors)
            XCTAssertTrue(predict.output.contains(#"[{"class":"7","#), predict.output)
            // The stock command does not know the layer, and says how to make it known.
            let stock = try BuiltProducts.run(millrace, ["evaluate", checkpoint, "--data", digits])
            XCTAssertEqual(stock.status, 1, stock.errors)
            XCTAssertTrue(stock.errors.contains("unknown layer type 'layer-norm'"), stock.errors)
            XCTAssertTrue(stock.errors.contains("MillraceCommand.main"), stock.errors)
        }
        XCTAssertNotNil(killedAfter, "every run ended before its kill")
    }

    /// `MillraceCommand.main(fitting:)` handles signals as `millrace train` does: SIGTERM after the
    /// first commit saves a checkpoint of the last step taken and exits 143, and the next run
    /// resumes from it to the uninterrupted run's bytes.
    func testSIGTERMSavesAndExits143AndTheNextRunResumesToTheSameBytes() throws {
        let reference = try fit("reference")
        XCTAssertEqual(reference.status, 0, reference.errors)
        let expected = try latest("reference")
        var stopped = false
        for attempt in 1...3 where !stopped {
            let name = "terminated-\(attempt)"
            let errors = directory.path("\(name).err")
            XCTAssertTrue(FileManager.default.createFile(atPath: errors.path, contents: nil))
            let process = try BuiltProducts.start(
                own, ["fit", digits, directory.path(name).path], standardError: try FileHandle(forWritingTo: errors))
            let polled = waitUntil {
                guard process.isRunning else { return true }
                guard (try? latest(name).step) != nil else { return false }
                kill(process.processIdentifier, SIGTERM)
                return true
            }
            XCTAssertTrue(polled, "\(name) neither committed nor ended within the hang guard")
            process.waitUntilExit()
            guard process.terminationStatus == 143 else {
                // It ended before the signal came: nothing tested; try again.
                XCTAssertEqual(process.terminationStatus, 0, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
                continue
            }
            stopped = true
            let text = try String(contentsOf: errors, encoding: .utf8)
            XCTAssertTrue(text.contains("interrupted by SIGTERM: checkpoint saved in"), text)
            XCTAssertTrue(text.contains("continue with start: .latest"), text)
            let resumed = try fit(name)
            XCTAssertEqual(resumed.status, 0, resumed.errors)
            let final = try latest(name)
            XCTAssertEqual(final.step, expected.step)
            XCTAssertEqual(final.model, expected.model, "weights after SIGTERM and resume")
            XCTAssertEqual(final.optimizer, expected.optimizer, "optimizer state after SIGTERM and resume")
        }
        XCTAssertTrue(stopped, "every run ended before its SIGTERM")
    }

    /// The example's layer norm against values worked out by hand (Python: mean 2.5, variance
    /// 1.25 of the row 1, 2, 3, 4; `(x - 2.5) / sqrt(1.25 + 1e-5) * gain + bias`) and its
    /// gradients against central finite differences.
    func testTheLayerNormMatchesHandComputedValuesAndCentralDifferences() throws {
        let layer = LayerNorm(features: 4)
        layer.gain.value = Tensor([0.5, 1, 1.5, 2])
        layer.bias.value = Tensor([0.1, 0, -0.1, 0.2])
        let input = Tensor([[1, 2, 3, 4], [5, 5, 5, 5]])
        let output = layer.forward(input, context: ForwardContext(isTraining: true)).output
        let expected: [Float] = [-0.570_817_7, -0.447_211_8, 0.570_817_7, 2.883_270_8, 0.1, 0, -0.1, 0.2]
        for index in 0..<8 { XCTAssertEqual(output[flat: index], expected[index], accuracy: 1e-5, "element \(index)") }
        let mismatches = GradientChecker.check(layer, input: .random([3, 4], seed: 5, lower: -2, upper: 2), step: 1e-2)
        XCTAssertEqual(mismatches.map(\.description), [])
        XCTAssertThrowsError(try layer.outputShape(forInputShape: [5])) { error in
            XCTAssertTrue("\(error)".contains("4 features, not [5]"), "\(error)")
        }
    }
}
