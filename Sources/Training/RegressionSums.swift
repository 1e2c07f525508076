import Tensors

/// The running sums behind the regression metrics, in the targets' own units: squared and
/// absolute errors, and the targets' sum and sum of squares (for R²). Added in one fixed order
/// (chunk, then batch), so the figures are the same bits on any number of ranks.
public struct RegressionSums: Codable, Sendable, Equatable {
    /// The sum of squared errors over every target value.
    public var squaredError = 0.0
    /// The sum of absolute errors.
    public var absoluteError = 0.0
    /// The sum of the target values.
    public var targetSum = 0.0
    /// The sum of the squared target values.
    public var targetSquares = 0.0
    /// The number of target values (rows times target columns).
    public var values = 0.0

    /// Nothing yet.
    public init() {}

    /// The sums of `predictions` against `targets` (both `[rows, count]`, original units).
    public init(predictions: Tensor, targets: Tensor) {
        predictions.withUnsafeBufferPointer { predicted in
            targets.withUnsafeBufferPointer { truth in
                for index in 0..<min(predicted.count, truth.count) {
                    let error = Double(predicted[index]) - Double(truth[index])
                    squaredError += error * error
                    absoluteError += abs(error)
                    targetSum += Double(truth[index])
                    targetSquares += Double(truth[index]) * Double(truth[index])
                }
                values = Double(min(predicted.count, truth.count))
            }
        }
    }

    /// The figures as a flat list (for gathering across ranks).
    public var figures: [Double] { [squaredError, absoluteError, targetSum, targetSquares, values] }

    /// Sums from `figures` (5 values starting at `start`).
    public init(figures: [Double], start: Int = 0) {
        squaredError = figures[start]
        absoluteError = figures[start + 1]
        targetSum = figures[start + 2]
        targetSquares = figures[start + 3]
        values = figures[start + 4]
    }

    /// Both sums added.
    public static func + (lhs: RegressionSums, rhs: RegressionSums) -> RegressionSums {
        var sum = lhs
        sum.squaredError += rhs.squaredError
        sum.absoluteError += rhs.absoluteError
        sum.targetSum += rhs.targetSum
        sum.targetSquares += rhs.targetSquares
        sum.values += rhs.values
        return sum
    }

    /// The root mean squared error.
    public var rootMeanSquaredError: Double { (squaredError / max(values, 1)).squareRoot() }
    /// The mean absolute error.
    public var meanAbsoluteError: Double { absoluteError / max(values, 1) }
    /// The coefficient of determination, `1 - SSE / SST` (scikit-learn's `r2_score` for one
    /// target; for several, SST is taken about the mean of all their values pooled); 0 when the
    /// targets do not vary.
    public var coefficientOfDetermination: Double {
        let count = max(values, 1)
        let total = targetSquares - targetSum * targetSum / count
        return total > 0 ? 1 - squaredError / total : 0
    }

    /// `rmse`, `mae` and `r2`, each name prefixed by `prefix` (such as `validation_`).
    public func metrics(prefix: String = "") -> [String: Double] {
        ["\(prefix)rmse": rootMeanSquaredError, "\(prefix)mae": meanAbsoluteError, "\(prefix)r2": coefficientOfDetermination]
    }
}
