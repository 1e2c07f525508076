/// What the data-dependent checks of a configuration need to know about the data.
public struct DataSummary: Sendable, Equatable {
    /// Training samples (after any validation split).
    public var sampleCount: Int
    /// Classes.
    public var classCount: Int
    /// The shape of one sample (`[features]` or `[channels, height, width]`).
    public var sampleShape: [Int]

    /// Creates a summary.
    public init(sampleCount: Int, classCount: Int, sampleShape: [Int]) {
        self.sampleCount = sampleCount
        self.classCount = classCount
        self.sampleShape = sampleShape
    }

    /// The summary of a run's data.
    public init(_ data: TrainingData) {
        self.init(sampleCount: data.training.count, classCount: data.classNames.count, sampleShape: data.sampleShape)
    }

    /// The number of channels normalisation sees: the first axis of images, every feature of vectors.
    public var normalizationGroups: Int {
        sampleShape.count == 3 ? sampleShape[0] : sampleShape.reduce(1, *)
    }
}
