import Checkpoints
import Foundation
import Training
import XCTest

/// Early stopping's decisions on hand-computed sequences of epoch values (the stop epoch and the
/// message), and its state through a manifest's JSON: a callback restored from it halfway
/// decides as the uninterrupted one does.
final class EarlyStoppingTests: XCTestCase {
    /// (label, metric, patience, min delta, values by epoch, epoch after which it stops (0-based) or nil)
    private let sequences: [(String, CheckpointMetric, Int, Double, [Double], Int?)] = [
        ("equal values never improve", .loss, 2, 0, [1.0, 0.5, 0.5, 0.5], 3),
        ("any decrease improves with delta 0", .loss, 2, 0, [1.0, 0.5, 0.5, 0.4375, 0.4375], nil),
        ("a rise counts as no improvement", .validationLoss, 1, 0, [1.0, 1.25], 1),
        // 1.0 -> 0.75 is exactly the delta (no), 0.5 is 0.5 below the best (yes), 0.25 exactly the delta again (no).
        ("exactly min delta is no improvement", .loss, 2, 0.25, [1.0, 0.75, 0.5, 0.25, 0.25], 4),
        ("more than min delta improves", .loss, 2, 0.25, [1.0, 0.75, 0.5, 0.25, 0.0], nil),
        ("accuracy is maximised", .accuracy, 2, 0.125, [0.5, 0.625, 0.75, 0.875, 0.875], 4),
        ("a lower accuracy never improves", .validationAccuracy, 2, 0, [0.5, 0.25, 0.375], 2),
        ("the wait restarts after an improvement", .loss, 3, 0, [4, 5, 5, 3, 5, 5, 5], 6),
        ("NaN never improves", .validationLoss, 2, 0, [1.0, .nan, .nan], 2),
        ("NaN between improvements", .validationLoss, 2, 0, [1.0, .nan, 0.5, .nan, 0.25], nil),
        ("NaN from the start", .loss, 2, 0, [.nan, .nan, 1.0], 1),
        ("infinity is no best", .loss, 2, 0, [.infinity, 1.0, 1.0, 1.0], 3),
        ("patience 1 stops at the first miss", .loss, 1, 0, [3, 2, 1, 1, 0], 3),
    ]

    func testHandComputedSequencesStopAtTheirEpoch() {
        for (label, metric, patience, delta, values, expected) in sequences {
            let stopping = EarlyStopping(metric: metric, patience: patience, minimumDelta: delta)
            var stopped: Int?
            for (epoch, value) in values.enumerated() where stopped == nil {
                if stopping.record(value, epoch: epoch) != nil { stopped = epoch }
            }
            XCTAssertEqual(stopped, expected, label)
            XCTAssertEqual(stopping.state.stoppedEpoch, expected, label)
        }
    }

    func testTheMessageNamesTheMetricDeltaPatienceAndBest() {
        let stopping = EarlyStopping(metric: .validationLoss, patience: 3, minimumDelta: 0.001)
        let values = [0.5, 0.4, 0.3, 0.25, 0.2143, 0.2140, 0.2135, 0.2134]
        let reasons = values.enumerated().map { stopping.record($1, epoch: $0) }
        XCTAssertEqual(reasons.dropLast(), [String?](repeating: nil, count: 7))
        XCTAssertEqual(reasons.last, "early stopping: validation loss did not improve by 0.001 for 3 epochs; best 0.2143 at epoch 5")
        XCTAssertEqual(stopping.state, EarlyStopping.State(best: 0.2143, bestEpoch: 4, epochsWithoutImprovement: 3, stoppedEpoch: 7))

        let accuracy = EarlyStopping(metric: .accuracy, patience: 1)
        accuracy.record(0.75, epoch: 0)
        XCTAssertEqual(accuracy.record(0.75, epoch: 1), "early stopping: training accuracy did not improve for 1 epoch; best 0.7500 at epoch 1")
        let nothing = EarlyStopping(metric: .loss, patience: 2, minimumDelta: 5)
        nothing.record(.nan, epoch: 0)
        XCTAssertEqual(nothing.record(.nan, epoch: 1), "early stopping: training loss did not improve by 5 for 2 epochs; no finite value yet")
    }

    /// The state saved halfway through a sequence (through a manifest's JSON, as a checkpoint
    /// keeps it) and restored into a new callback gives the uninterrupted callback's decisions.
    func testARestoredStateDecidesAsTheUninterruptedCallback() throws {
        let values = [0.9, 0.7, 0.7000001, 0.69, 0.695, 0.71, 0.7]
        let whole = EarlyStopping(metric: .validationLoss, patience: 3, minimumDelta: 0.005)
        let wholeReasons = values.enumerated().map { whole.record($1, epoch: $0) }
        XCTAssertEqual(wholeReasons.compactMap { $0 }.count, 1)
        for split in 1..<values.count {
            let first = EarlyStopping(metric: .validationLoss, patience: 3, minimumDelta: 0.005)
            let before = values.prefix(split).enumerated().map { first.record($1, epoch: $0) }
            let manifest = try roundTripped(
                CheckpointManifest(
                    step: split, epoch: split, createdAt: 0, optimizerStep: split,
                    callbackStates: [first.stateKey: try JSONValue(encoding: first.state)]))
            let second = EarlyStopping(metric: .validationLoss, patience: 3, minimumDelta: 0.005)
            try TrainingCheckpoint.restoreStates(of: [second], from: manifest, path: "checkpoint")
            XCTAssertEqual(second.state, first.state, "split \(split)")
            let after = values.enumerated().dropFirst(split).map { second.record($1, epoch: $0) }
            XCTAssertEqual(before + after, wholeReasons, "split \(split)")
        }
    }

    /// A manifest written before callbacks kept state (no `callbackStates` key) still loads, and
    /// restoring from it leaves a callback as it was made; so does a state saved for another metric.
    func testAManifestWithoutTheKeyLeavesTheCallbackFresh() throws {
        let old =
            #"{"formatVersion": 1, "step": 4, "epoch": 1, "createdAt": 0, "optimizerStep": 4, "metrics": {}, "hyperparameters": {}, "files": {}}"#
        let manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(old.utf8))
        XCTAssertNil(manifest.callbackStates)
        XCTAssertNoThrow(try manifest.verifySeal(path: "manifest.json", bytes: Array(old.utf8)))
        let stopping = EarlyStopping(metric: .loss, patience: 2)
        try TrainingCheckpoint.restoreStates(of: [stopping], from: manifest, path: "checkpoint")
        XCTAssertEqual(stopping.state, EarlyStopping.State())

        let other = EarlyStopping(metric: .accuracy, patience: 2)
        other.record(0.5, epoch: 0)
        let saved = CheckpointManifest(
            step: 1, epoch: 1, createdAt: 0, optimizerStep: 1, callbackStates: [other.stateKey: try JSONValue(encoding: other.state)])
        try TrainingCheckpoint.restoreStates(of: [stopping], from: try roundTripped(saved), path: "checkpoint")
        XCTAssertEqual(stopping.state, EarlyStopping.State())
    }

    func testAnUnreadableStateIsACorruptCheckpointNamingTheKey() throws {
        let stopping = EarlyStopping(metric: .loss, patience: 2)
        let manifest = CheckpointManifest(
            step: 1, epoch: 1, createdAt: 0, optimizerStep: 1, callbackStates: [stopping.stateKey: .string("not a state")])
        XCTAssertThrowsError(try TrainingCheckpoint.restoreStates(of: [stopping], from: manifest, path: "runs/x/step-1")) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.kind, .corrupt)
            XCTAssertEqual(error?.path, "runs/x/step-1/manifest.json")
            XCTAssertTrue(error?.reason.contains("'early_stopping.loss'") == true, "\(String(describing: error))")
        }
    }

    /// The manifest as a checkpoint's file holds it: sealed, encoded, decoded, verified.
    private func roundTripped(_ manifest: CheckpointManifest) throws -> CheckpointManifest {
        let bytes = try JSONEncoder().encode(try manifest.sealed())
        let decoded = try JSONDecoder().decode(CheckpointManifest.self, from: bytes)
        try decoded.verifySeal(path: "manifest.json", bytes: Array(bytes))
        XCTAssertEqual(decoded, try manifest.sealed())
        return decoded
    }
}
