import DataPipeline
import ImageFormats

extension RunConfiguration {
    /// Where the data comes from.
    public struct Dataset: Codable, Sendable, Equatable {
        /// The keys.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, path
            case validationPath = "validation_path"
            case validationSplit = "validation_split"
            case channels, size, sizing
            case labelColumn = "label_column"
            case ignoreColumns = "ignore_columns"
            case labels
        }

        /// `image-folder`, `csv` or `xor` (the seed's four XOR points).
        public var kind: DataKind
        /// The folder or file (`RunConfiguration.load` resolves a relative path against the pipeline file's folder).
        public var path: String?
        /// A separate validation folder or file.
        public var validationPath: String?
        /// The fraction held out for validation when there is no validation path.
        public var validationSplit: Double?
        /// Images: `gray`, `rgb` (default) or `rgba`.
        public var channels: ImageChannels?
        /// Images: a fixed `[width, height]`.
        public var size: [Int]?
        /// Images: `resize` (default) or `center-crop` to reach `size`.
        public var sizing: ImageSizingChoice?
        /// CSV: the label column's name.
        public var labelColumn: String?
        /// CSV: columns left out of the features.
        public var ignoreColumns: [String]?
        /// CSV: `numeric` (class indices, the default) or `text` (labels by first appearance).
        public var labels: LabelEncoding?

        /// Decodes the section (unknown keys and words are errors).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
            kind = try container.decodeValue(DataKind.self, forKey: .kind)
            path = try container.decodeValueIfPresent(String.self, forKey: .path)
            validationPath = try container.decodeValueIfPresent(String.self, forKey: .validationPath)
            validationSplit = try container.decodeValueIfPresent(Double.self, forKey: .validationSplit)
            channels = try container.decodeValueIfPresent(ImageChannels.self, forKey: .channels)
            size = try container.decodeValueIfPresent([Int].self, forKey: .size)
            sizing = try container.decodeValueIfPresent(ImageSizingChoice.self, forKey: .sizing)
            labelColumn = try container.decodeValueIfPresent(String.self, forKey: .labelColumn)
            ignoreColumns = try container.decodeValueIfPresent([String].self, forKey: .ignoreColumns)
            labels = try container.decodeValueIfPresent(LabelEncoding.self, forKey: .labels)
        }

        /// A path unless `xor`; the split in [0, 1); a size of two positive numbers.
        public func validate() throws(SpecificationError) {
            if kind != .xor && path == nil {
                throw SpecificationError(key: "path", reason: "a path is required for \(kind.rawValue) data", fix: "give the data's path")
            }
            if let validationSplit {
                try SpecificationError.require(
                    validationSplit >= 0 && validationSplit < 1, "validation_split", validationSplit, mustBe: "a number in [0, 1)",
                    fix: "use a fraction such as 0.2")
            }
            if let size {
                try SpecificationError.require(
                    size.count == 2 && size.allSatisfy { $0 > 0 }, "size", size, mustBe: "[width, height] with positive numbers")
            }
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
            sizing == .centerCrop ? .centerCrop : .resize
        }
    }
}
