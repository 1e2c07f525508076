import Foundation
import Layers
import Tensors
import Training
import XCTest

/// The regression losses against hand values of PyTorch's definitions (`MSELoss`, `L1Loss`,
/// `HuberLoss(delta=1)`, all `reduction="mean"`), and the configuration rules of `target_columns`.
final class RegressionLossTests: XCTestCase {
    // d = output - target = [0.5, -2, 0, 1.5]; n = 4.
    let output = Tensor(shape: [2, 2], scalars: [0.5, 3, 1, 2.5])
    let target = Tensor(shape: [2, 2], scalars: [0, 5, 1, 1])

    func testMeanSquaredErrorIsTorchsMSELoss() {
        let (value, gradient) = MeanSquaredErrorLoss().evaluate(output, targets: target)
        XCTAssertEqual(value, (0.25 + 4 + 0 + 2.25) / 4, accuracy: 1e-6)
        XCTAssertEqual(gradient.scalars, [0.25, -1, 0, 0.75])  // 2d / n
    }

    func testMeanAbsoluteErrorIsTorchsL1Loss() {
        let (value, gradient) = MeanAbsoluteErrorLoss().evaluate(output, targets: target)
        XCTAssertEqual(value, (0.5 + 2 + 0 + 1.5) / 4, accuracy: 1e-6)
        XCTAssertEqual(gradient.scalars, [0.25, -0.25, 0, 0.25])  // sign(d) / n, 0 at d = 0
    }

    func testHuberIsTorchsHuberLossWithDeltaOne() {
        let (value, gradient) = HuberLoss().evaluate(output, targets: target)
        // 0.5 d² below delta, delta (|d| - delta / 2) above.
        XCTAssertEqual(value, (0.125 + 1.5 + 0 + 1.0) / 4, accuracy: 1e-6)
        XCTAssertEqual(gradient.scalars, [0.125, -0.25, 0, 0.25])
    }

    func testTheRegressionLossesAreRegisteredBesideTheLabelLosses() {
        for name in ["mean-squared-error", "mean-absolute-error", "huber"] {
            XCTAssertTrue(LossRegistry.isRegression(name), name)
        }
        for name in ["cross-entropy", "mse", "sum-of-squares"] {
            XCTAssertFalse(LossRegistry.isRegression(name), name)
        }
    }

    func testTargetColumnsAndTheLossKindAreCheckedTogether() {
        let cases: [(dataset: String, loss: String, fragments: [String])] = [
            (#""target_columns": ["y"], "label_column": "label""#, "mean-squared-error", ["dataset.target_columns", "label_column"]),
            (#""target_columns": ["y"]"#, "cross-entropy", ["'loss'", "cross-entropy", "csv dataset", "target_columns"]),
            (#""label_column": "label""#, "huber", ["'loss'", "huber", "csv dataset has class labels"]),
            (#""target_columns": []"#, "huber", ["dataset.target_columns"]),
            (#""normalize_targets": false"#, "cross-entropy", ["dataset.normalize_targets"]),
        ]
        for entry in cases {
            let text = """
                {"name": "r", "dataset": {"kind": "csv", "path": "data.csv", \(entry.dataset)}, "model": {"layers": [{"type": "dense"}]},
                 "loss": "\(entry.loss)", "pipeline": {"batch_size": 8}, "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 0}
                """
            XCTAssertThrowsError(try RunConfiguration.decode(Data(text.utf8), path: "p.json"), entry.dataset) { error in
                for fragment in entry.fragments {
                    XCTAssertTrue("\(error)".contains(fragment), "\(entry.dataset): '\(fragment)' not in \(error)")
                }
            }
        }
        let good = """
            {"name": "r", "dataset": {"kind": "csv", "path": "data.csv", "target_columns": ["y", "z"]}, "model": {"layers": [{"type": "dense"}]},
             "loss": "mean-absolute-error", "pipeline": {"batch_size": 8}, "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 0}
            """
        XCTAssertNoThrow(try RunConfiguration.decode(Data(good.utf8), path: "p.json"))
    }
}
