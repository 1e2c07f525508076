/// `(x - mean[c]) / standardDeviation[c]` per channel of an image (`[channels, height, width]`)
/// or per feature of a table row (`[features]`); a single mean or deviation applies to all.
/// Part of a dataset's preprocessing: applied identically in training, validation, evaluation
/// and prediction.
public struct Normalization: Codable, Sendable, Equatable, Hashable {
    /// The means, one per channel or feature (or one for all).
    public var mean: [Float]
    /// The standard deviations, likewise.
    public var standardDeviation: [Float]

    /// Creates a normalization.
    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The normalized value of `value` in channel (or feature) `group`.
    @inline(__always)
    public func apply(_ value: Float, group: Int) -> Float {
        let m = mean.count == 1 ? mean[0] : mean[group % max(mean.count, 1)]
        let s = standardDeviation.count == 1 ? standardDeviation[0] : standardDeviation[group % max(standardDeviation.count, 1)]
        return (value - m) * (1 / s)
    }

    /// Normalizes one sample of `shape` in place.
    public func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int]) {
        let groups = shape.count == 3 ? shape[0] : values.count
        let groupSize = values.count / Swift.max(groups, 1)
        for group in 0..<groups {
            // The same arithmetic as `apply(_:group:)`, with the group's mean and 1/s taken once.
            let m = mean.count == 1 ? mean[0] : mean[group % max(mean.count, 1)]
            let s = standardDeviation.count == 1 ? standardDeviation[0] : standardDeviation[group % max(standardDeviation.count, 1)]
            let inverse = 1 / s
            for index in (group * groupSize)..<((group + 1) * groupSize) { values[index] = (values[index] - m) * inverse }
        }
    }

    /// Normalizes every sample of a batch `[count, ...sampleShape]` in place.
    public func apply(toBatch values: UnsafeMutableBufferPointer<Float>, sampleShape: [Int]) {
        let width = sampleShape.reduce(1, *)
        guard width > 0 else { return }
        for row in 0..<(values.count / width) {
            apply(to: UnsafeMutableBufferPointer(rebasing: values[(row * width)..<((row + 1) * width)]), shape: sampleShape)
        }
    }
}
