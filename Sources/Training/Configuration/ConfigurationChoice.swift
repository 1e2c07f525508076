/// A closed set of words a pipeline file may use for one key (`channels`, `sizing`, ...): decoding
/// any other word is an error naming the key, the word and every allowed word.
public protocol ConfigurationChoice: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension ConfigurationChoice {
    /// Decodes one of the allowed words.
    public init(from decoder: any Decoder) throws {
        let word = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: word) else {
            throw SpecificationError(
                key: AnyCodingKey.path(decoder.codingPath), reason: "unknown value '\(word)'",
                fix: "use one of: \(Self.allowedWords)"
            ).absolute
        }
        self = value
    }

    /// The allowed words, comma-separated.
    public static var allowedWords: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// `dataset.channels`.
public enum ImageChannels: String, ConfigurationChoice {
    /// One gray channel.
    case gray
    /// Red, green, blue.
    case rgb
    /// Red, green, blue, alpha.
    case rgba
}

/// `dataset.sizing`.
public enum ImageSizingChoice: String, ConfigurationChoice {
    /// Bilinear resampling to `size`.
    case resize
    /// The central region (zero-padded when smaller).
    case centerCrop = "center-crop"
    /// Antialiased bilinear resampling to `size`, as Pillow's `Image.resize(size, Image.BILINEAR)`.
    case resizeAntialiased = "resize-antialiased"
}

/// `dataset.exif_orientation`: whether a JPEG's EXIF orientation turns its pixels.
public enum ExifOrientationChoice: String, ConfigurationChoice {
    /// Pixels as stored, as torchvision's `ImageFolder` reads them (the default).
    case ignore
    /// Pixels turned as Pillow's `ImageOps.exif_transpose` turns them.
    case apply
}

/// `dataset.labels` (CSV).
public enum LabelEncoding: String, ConfigurationChoice {
    /// The label column holds class indices.
    case numeric
    /// The label column holds names, numbered by first appearance.
    case text
}

/// `dataset.missing` (CSV).
public enum MissingValueChoice: String, ConfigurationChoice {
    /// An empty numeric field is an error naming the file, line and column.
    case error
    /// The mean of the column's values in the training rows (saved with the model).
    case mean
    /// Zero.
    case zero
}

/// `pipeline.order`: how shuffled samples are ordered.
public enum SampleOrderChoice: String, ConfigurationChoice {
    /// One seeded permutation of each epoch.
    case shuffle
    /// Windows of consecutive pages of a decoded pack, in seeded orders (FFCV's quasi-random order).
    case pageAware = "page_aware"
}

/// `schedule.type`.
public enum ScheduleKind: String, ConfigurationChoice {
    /// The same rate throughout.
    case constant
    /// Multiply by `factor` every `every` steps.
    case step
    /// Cosine annealing to `minimum` over the run.
    case cosine
    /// PyTorch's `OneCycleLR`: up to the optimizer's rate and down to far below it.
    case oneCycle = "one-cycle"
}

/// `optimizer.no_weight_decay`: parameters left out of weight decay (a second parameter group).
public enum WeightDecayExemptionChoice: String, ConfigurationChoice {
    /// Every parameter named `bias`.
    case bias
    /// The weight and bias of every batchnorm layer.
    case batchnorm
}

/// `initializer` of dense and conv2d layers.
public enum WeightInitializer: String, ConfigurationChoice {
    /// PyTorch's default (uniform in ±1/sqrt(fan-in)).
    case `default`
    /// Xavier (Glorot) uniform.
    case xavier
    /// He (Kaiming) uniform.
    case he
}

/// `checkpoint.metric` (which recorded number ranks checkpoints for `keep_best`) and
/// `early_stopping.metric` (which one early stopping watches): a figure of each epoch.
public enum CheckpointMetric: String, ConfigurationChoice {
    /// Validation accuracy (maximised).
    case validationAccuracy = "validation_accuracy"
    /// Validation loss (minimised).
    case validationLoss = "validation_loss"
    /// Training loss (minimised).
    case loss
    /// Training accuracy (maximised).
    case accuracy
}
