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
        let (m, inverse) = parameters(group: group)
        return (value - m) * inverse
    }

    /// Normalizes one sample of `shape` in place.
    public func apply(to values: UnsafeMutableBufferPointer<Float>, shape: [Int]) {
        let groups = shape.count == 3 ? shape[0] : values.count
        let groupSize = values.count / Swift.max(groups, 1)
        for group in 0..<groups {
            let (m, inverse) = parameters(group: group)
            for index in (group * groupSize)..<((group + 1) * groupSize) { values[index] = (values[index] - m) * inverse }
        }
    }

    /// Normalizes every sample of a batch `[count, ...sampleShape]` in place, with each group's
    /// mean and 1/s worked out once for the whole batch.
    public func apply(toBatch values: UnsafeMutableBufferPointer<Float>, sampleShape: [Int]) {
        let width = sampleShape.reduce(1, *)
        guard width > 0 else { return }
        let groups = sampleShape.count == 3 ? sampleShape[0] : width
        let groupSize = width / Swift.max(groups, 1)
        let table = (0..<groups).map { parameters(group: $0) }
        for row in 0..<(values.count / width) {
            for group in 0..<groups {
                let (m, inverse) = table[group]
                let start = row * width + group * groupSize
                for index in start..<(start + groupSize) { values[index] = (values[index] - m) * inverse }
            }
        }
    }

    /// The means and the reciprocals of the standard deviations of `groups` channels, as `apply`
    /// uses them: `(x - means[c]) * inverses[c]`.
    public func parameters(groups: Int) -> (means: [Float], inverses: [Float]) {
        let pairs = (0..<groups).map { parameters(group: $0) }
        return (pairs.map(\.mean), pairs.map(\.inverse))
    }

    /// Channel (or feature) `group`'s mean and the reciprocal of its standard deviation.
    @inline(__always)
    private func parameters(group: Int) -> (mean: Float, inverse: Float) {
        let m = mean.count == 1 ? mean[0] : mean[group % max(mean.count, 1)]
        let s = standardDeviation.count == 1 ? standardDeviation[0] : standardDeviation[group % max(standardDeviation.count, 1)]
        return (m, 1 / s)
    }
}
