import DataPipeline
import ImageFormats
import SystemIO

/// What the data-dependent checks of a configuration need to know about the data.
public struct DataSummary: Sendable, Equatable {
    /// Training samples (after any validation split).
    public var sampleCount: Int
    /// Classes.
    public var classCount: Int
    /// The shape of one sample (`[features]` or `[channels, height, width]`).
    public var sampleShape: [Int]
    /// The shape of one validation sample as the files hold it (images at their own size, before
    /// any resizing to the training size), when there is separate validation data.
    public var validationShape: [Int]?
    /// The validation data's path, for messages.
    public var validationPath: String?
    /// `[height, width]` of the first training image before sizing (image folders only).
    public var sourceImageSize: [Int]?
    /// The one-hot values of a table's categorical columns (not normalised).
    public var oneHotValues = 0
    /// Whether the training samples lie in pages (a decoded pack read in place), as the
    /// `page_aware` order needs.
    public var isStoredInPages = false

    /// Creates a summary.
    public init(sampleCount: Int, classCount: Int, sampleShape: [Int], validationShape: [Int]? = nil, sourceImageSize: [Int]? = nil) {
        self.sampleCount = sampleCount
        self.classCount = classCount
        self.sampleShape = sampleShape
        self.validationShape = validationShape
        self.sourceImageSize = sourceImageSize
    }

    /// The summary of a run's data (`validationPath`: the separate validation data's path, if any).
    public init(_ data: TrainingData, validationPath: String? = nil) {
        self.init(sampleCount: data.training.count, classCount: data.classNames.count, sampleShape: data.sampleShape)
        sourceImageSize = DataSummary.firstImageSize(of: data.training)
        oneHotValues = (data.preprocessing.categories ?? []).reduce(0) { $0 + $1.values.count + 1 }
        if case .randomAccess(let dataset) = data.training { isStoredInPages = dataset.storageLayout != nil }
        if let validationPath, let validation = data.validation {
            self.validationPath = validationPath
            validationShape = DataSummary.fileShape(of: validation)
            // A regression's rows end with the targets, which the model does not see.
            if let targets = data.preprocessing.targetColumns, let shape = validationShape, shape.count == 1 {
                validationShape = [shape[0] - targets.count]
            }
        }
    }

    /// The number of channels normalisation sees: the first axis of images, every numeric
    /// feature of table rows (one-hot values are not normalised).
    public var normalizationGroups: Int {
        sampleShape.count == 3 ? sampleShape[0] : sampleShape.reduce(1, *) - oneHotValues
    }

    /// A source's sample shape as its files hold it: an image folder's first image at its own
    /// size (in the folder's channels), anything else its sample shape.
    public static func fileShape(of source: DataSource) -> [Int] {
        guard let size = firstImageSize(of: source) else { return source.sampleShape }
        return [source.sampleShape.first ?? 0] + size
    }

    /// `[height, width]` of the first image of an image folder (or a subset of one), read from
    /// its header; nil for other data or an unreadable header (decoding reports that).
    public static func firstImageSize(of source: DataSource) -> [Int]? {
        guard case .randomAccess(let dataset) = source else { return nil }
        let folder = (dataset as? ImageFolder) ?? (dataset as? DatasetSubset<ImageFolder>)?.base
        guard let folder, let first = folder.paths.first,
            let header = try? ImageDecoder(maximumPixels: folder.options.maximumPixels, orientation: folder.options.orientation).header(file: first)
        else { return nil }
        return [header.height, header.width]
    }
}
