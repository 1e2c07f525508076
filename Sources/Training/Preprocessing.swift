import DataPipeline
import ImageFormats
import TabularFormats

/// How raw data becomes the model's input: decoding (channels, size, sizing, EXIF orientation), normalisation and
/// the class names that give label indices. It is part of the model: saved in every checkpoint's
/// manifest and applied identically by training, validation, `evaluate` and `predict`. Random
/// augmentations are not part of it: they apply to training only.
public struct Preprocessing: Codable, Sendable, Equatable {
    /// Images: the channel layout.
    public var channels: ChannelMode?
    /// Images: a fixed output size `[width, height]` (nil: the images' own, equal sizes).
    public var size: [Int]?
    /// Images: how a fixed size is reached.
    public var sizing: ImageSizing?
    /// Images: whether a JPEG's EXIF orientation is applied (nil: ignored, as in checkpoints
    /// written before JPEG support).
    public var exifOrientation: ExifOrientation?
    /// Per-channel (images) or per-feature (tables) normalisation.
    public var normalization: Normalization?
    /// The class names in class-index order (after training: the training data's).
    public var classNames: [String]?
    /// CSV: the label column's name.
    public var labelColumn: String?
    /// CSV: columns left out of the features.
    public var ignoredColumns: [String]?
    /// CSV: `numeric` class indices, or `text` labels (numbered by first appearance in training,
    /// then fixed by `classNames`).
    public var textLabels: Bool?
    /// The shape of one sample as the model sees it (filled in from the training data).
    public var sampleShape: [Int]?
    /// CSV regression or multi-label: the target columns' names (nil: class labels).
    /// `classNames` then holds them too (one model output per target).
    public var targetColumns: [String]?
    /// CSV target columns: what they hold (nil: numbers, a regression; `multiLabel`: 0/1 labels,
    /// and any other value in them is an error).
    public var targetKind: TargetKind?
    /// CSV regression: whether targets are scaled (nil: yes).
    public var normalizesTargets: Bool?
    /// CSV regression: each target's mean and standard deviation in the training split (filled in
    /// when the data is opened; undone on the model's outputs by `predict`).
    public var targetNormalization: Normalization?
    /// CSV: feature columns read as categories (one-hot encoded, with an unknown category).
    public var categoricalColumns: [String]?
    /// CSV: each categorical column's categories (given, else the training rows' in order of
    /// first appearance, filled in when the data is opened): evaluation and prediction encode
    /// values alike, a value training never saw as the unknown category.
    public var categories: [CSVCategories]?
    /// CSV: how an empty numeric feature field is read (nil: it is an error).
    public var missingValues: MissingValueChoice?
    /// CSV: each numeric feature column's fill value (filled in when the data is opened: under
    /// `mean`, the mean of the training rows' values), applied in validation, evaluation and prediction.
    public var fillValues: [CSVFill]?

    /// Creates a preprocessing; every part is optional.
    public init(
        channels: ChannelMode? = nil, size: [Int]? = nil, sizing: ImageSizing? = nil, normalization: Normalization? = nil,
        classNames: [String]? = nil, labelColumn: String? = nil, ignoredColumns: [String]? = nil, textLabels: Bool? = nil,
        sampleShape: [Int]? = nil
    ) {
        self.channels = channels
        self.size = size
        self.sizing = sizing
        self.normalization = normalization
        self.classNames = classNames
        self.labelColumn = labelColumn
        self.ignoredColumns = ignoredColumns
        self.textLabels = textLabels
        self.sampleShape = sampleShape
    }

    /// The targets of a regression or a multi-label run (nil for class labels).
    public var regressionTargets: RegressionTargets? {
        targetColumns.map { RegressionTargets(count: $0.count, normalization: targetNormalization, kind: targetKind ?? .regression) }
    }

    /// The fixed image size as (width, height), if set.
    var imageSize: (width: Int, height: Int)? {
        guard let size, size.count == 2 else { return nil }
        return (size[0], size[1])
    }
}
