import Checkpoints
import XCTest

/// Retention as a table: metric sequences in, surviving steps out.
final class RetentionPolicyTests: XCTestCase {
    private func summaries(_ metric: [Double], seconds: [Double]? = nil) -> [CheckpointSummary] {
        metric.enumerated().map { index, value in
            CheckpointSummary(name: "s\(index + 1)", step: index + 1, createdAt: seconds?[index] ?? Double(index), metrics: ["accuracy": value])
        }
    }

    func testTable() {
        let overfitting = [0.50, 0.70, 0.85, 0.90, 0.88, 0.84, 0.80, 0.75]  // best at step 4, then worse
        let cases: [(String, RetentionPolicy, [CheckpointSummary], Set<Int>)] = [
            ("last 3", RetentionPolicy(keepLast: 3), summaries(overfitting), [6, 7, 8]),
            ("N = 1", RetentionPolicy(keepLast: 1), summaries(overfitting), [8]),
            ("N = 0 still keeps the newest", RetentionPolicy(keepLast: 0), summaries(overfitting), [8]),
            (
                "overfitting: best 1 by max accuracy + last 1", RetentionPolicy(keepLast: 1, keepBest: 1, metric: "accuracy", goal: .maximize),
                summaries(overfitting), [4, 8]
            ),
            (
                "best 2 never evicts the latest", RetentionPolicy(keepLast: 1, keepBest: 2, metric: "accuracy", goal: .maximize),
                summaries(overfitting), [4, 5, 8]
            ),
            ("minimize", RetentionPolicy(keepLast: 1, keepBest: 1, metric: "accuracy", goal: .minimize), summaries(overfitting), [1, 8]),
            (
                "metric set, keepBest 0: the best is still kept", RetentionPolicy(keepLast: 1, keepBest: 0, metric: "accuracy", goal: .maximize),
                summaries(overfitting), [4, 8]
            ),
            (
                "ties: the later one", RetentionPolicy(keepLast: 1, keepBest: 1, metric: "accuracy", goal: .maximize), summaries([0.9, 0.9, 0.1]),
                [2, 3]
            ),
            ("every 3 steps", RetentionPolicy(keepLast: 1, keepEverySteps: 3), summaries(overfitting), [3, 6, 8]),
            (
                "every 10 seconds", RetentionPolicy(keepLast: 1, keepEverySeconds: 10),
                summaries(overfitting, seconds: [0, 4, 9, 10, 15, 21, 29, 31]), [1, 4, 6, 8]
            ),
            ("unknown metric ignored", RetentionPolicy(keepLast: 2, keepBest: 3, metric: "loss"), summaries(overfitting), [7, 8]),
            ("empty", RetentionPolicy(keepLast: 3), [], []),
        ]
        for (name, policy, checkpoints, expected) in cases {
            XCTAssertEqual(policy.survivors(of: checkpoints), expected, name)
        }
    }
}
