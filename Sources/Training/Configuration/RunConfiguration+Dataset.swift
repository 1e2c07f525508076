import DataPipeline
import ImageFormats

extension RunConfiguration {
    /// Where the data comes from.
    public struct Dataset: KeyedSettings, Equatable {
        /// `image-folder`, `csv`, `packed` or `xor` (the seed's four XOR points).
        @Setting("kind") public var kind = DataKind.xor
        /// The folder or file (`RunConfiguration.load` resolves a relative path against the pipeline file's folder).
        @Setting("path") public var path: String? = nil
        /// A separate validation folder or file.
        @Setting("validation_path") public var validationPath: String? = nil
        /// The fraction held out for validation when there is no validation path.
        @Setting("validation_split", .within(0..<1, fix: "use a fraction such as 0.2")) public var validationSplit: Double? = nil
        /// Images: `gray`, `rgb` (default) or `rgba`.
        @Setting("channels") public var channels: ImageChannels? = nil
        /// Images: a fixed `[width, height]`.
        @Setting("size", .require("[width, height] with positive numbers") { $0.count == 2 && $0.allSatisfy { $0 > 0 } })
        public var size: [Int]? = nil
        /// Images: `resize` (default), `center-crop` or `resize-antialiased` to reach `size`.
        @Setting("sizing") public var sizing: ImageSizingChoice? = nil
        /// Images: `ignore` (default) or `apply` a JPEG's EXIF orientation.
        @Setting("exif_orientation") public var exifOrientation: ExifOrientationChoice? = nil
        /// CSV: feature columns whose fields are categories (any text), one-hot encoded with an
        /// unknown category; their categories come from the training rows (first appearance) unless given.
        @Setting("categorical_columns", .require("a list of one or more distinct column names") { !$0.isEmpty && Set($0).count == $0.count })
        public var categoricalColumns: [String]? = nil
        /// CSV: the categories of some categorical columns, by column name (any other value is unknown).
        @Setting(
            "categories", .require("lists of one or more distinct categories") { $0.values.allSatisfy { !$0.isEmpty && Set($0).count == $0.count } })
        public var categories: [String: [String]]? = nil
        /// CSV: how an empty numeric feature field is read: `error` (the default), `mean` (the
        /// training rows' mean of the column) or `zero`.
        @Setting("missing") public var missing: MissingValueChoice? = nil
        /// CSV: the label column's name.
        @Setting("label_column") public var labelColumn: String? = nil
        /// CSV: columns left out of the features.
        @Setting("ignore_columns") public var ignoreColumns: [String]? = nil
        /// CSV: `numeric` (class indices, the default) or `text` (labels by first appearance).
        @Setting("labels") public var labels: LabelEncoding? = nil
        /// CSV regression or multi-label: the target columns' names (exclusive with `label_column`):
        /// numbers, or 0/1 labels with the loss `binary-cross-entropy-with-logits`.
        @Setting("target_columns", .require("a list of one or more distinct column names") { !$0.isEmpty && Set($0).count == $0.count })
        public var targetColumns: [String]? = nil
        /// CSV regression: whether targets are scaled to mean 0 and standard deviation 1 by the
        /// training split's figures (default true; predictions are scaled back). Refused for 0/1 labels.
        @Setting("normalize_targets") public var normalizeTargets: Bool? = nil

        /// No data yet (xor, the placeholder).
        public init() {}

        /// A path unless `xor`; then each key's rule.
        public func validate() throws(SpecificationError) {
            if kind != .xor && path == nil {
                throw SpecificationError(key: "path", reason: "a path is required for \(kind.rawValue) data", fix: "give the data's path")
            }
            try validateSettings()
            try checkTargets()
            try checkTableColumns()
        }

        /// How images are decoded (rgb unless `channels` says otherwise).
        public var channelMode: ChannelMode {
            switch channels ?? .rgb {
            case .gray: return .gray
            case .rgb: return .rgb
            case .rgba: return .rgba
            }
        }

        /// How images reach `size` (resize unless `sizing` says otherwise).
        public var imageSizing: ImageSizing {
            switch sizing ?? .resize {
            case .resize: return .resize
            case .centerCrop: return .centerCrop
            case .resizeAntialiased: return .resizeAntialiased
            }
        }

        /// Whether a JPEG's EXIF orientation is applied (ignored unless `exif_orientation` says `apply`).
        public var imageOrientation: ExifOrientation {
            exifOrientation == .apply ? .apply : .ignore
        }
    }
}
