extension RunConfiguration {
    /// The checks of values that fit some data and make training on this data meaningless: an
    /// image augmentation on table rows, colour jitter on images of other than 1 or 3 channels, random-crop padding as large as the image (a crop can
    /// then be all padding), a centre crop larger than the images, and validation samples of
    /// another shape, kind or size than the training samples (images are resized to the
    /// training size only when `dataset.size` asks for it).
    func checkData(_ data: DataSummary) throws(SpecificationError) {
        let shape = data.sampleShape
        if pipeline.order == .pageAware, !data.isStoredInPages {
            throw SpecificationError(
                key: "pipeline.order",
                reason: "page_aware needs a decoded pack (millrace pack --decoded) in a local folder, and the training data is not one",
                fix: "remove order (the default shuffles the whole epoch), or pack the images with millrace pack --decoded and train on the pack")
        }
        for (index, augmentation) in (pipeline.augmentations ?? []).enumerated() {
            let key = "pipeline.augmentations[\(index)]"
            if let name = augmentation.imageOnlyKey, shape.count != 3 {
                throw SpecificationError(
                    key: "\(key).\(name)", reason: "\(name) applies to images, but the data's samples have shape \(shape) (table rows)",
                    fix: "remove the augmentation for tables")
            }
            if augmentation.colorJitter != nil, shape.count == 3, ![1, 3].contains(shape[0]) {
                throw SpecificationError(
                    key: "\(key).color_jitter",
                    reason: "colour jitter applies to gray or RGB images (1 or 3 channels, as torchvision's), but the images have \(shape[0])",
                    fix: "set dataset.channels to \"rgb\" (or \"gray\"), or remove color_jitter")
            }
            if let padding = augmentation.cropPadding, shape.count == 3, padding >= min(shape[1], shape[2]) {
                throw SpecificationError(
                    key: "\(key).crop_padding",
                    reason: "\(padding) is not allowed for \(shape[2])x\(shape[1]) images: padding \(padding) >= the image's side "
                        + "\(min(shape[1], shape[2])), so a random crop can be all padding",
                    fix: "use a padding below \(min(shape[1], shape[2])), such as \(max(1, min(shape[1], shape[2]) / 8))")
            }
        }
        if dataset.sizing == .centerCrop, let size = dataset.size, size.count == 2, let source = data.sourceImageSize, source.count == 2,
            size[0] > source[1] || size[1] > source[0]
        {
            throw SpecificationError(
                key: "dataset.size",
                reason: "a \(size[0])x\(size[1]) centre crop is larger than the \(source[1])x\(source[0]) images (width x height)",
                fix: "use a size within the images, or sizing \"resize\"")
        }
        if let validation = data.validationShape, validation != shape {
            let resizes = dataset.size != nil && validation.count == 3 && shape.count == 3 && validation[0] == shape[0]
            if !resizes {
                throw SpecificationError(
                    key: "dataset.validation_path",
                    reason: "the validation data \(data.validationPath ?? "") has samples of shape \(validation) "
                        + "(\(DataSummary.describe(validation))), but the training samples have shape \(shape) (\(DataSummary.describe(shape)))",
                    fix: "validate on data of the training data's kind and size (or set dataset.size to resize images)")
            }
        }
    }
}

extension DataSummary {
    /// `8x8 images, 1 channel` or `64 CSV features`.
    static func describe(_ shape: [Int]) -> String {
        if shape.count == 3 { return "\(shape[2])x\(shape[1]) images, \(shape[0]) channel\(shape[0] == 1 ? "" : "s")" }
        return "\(shape.reduce(1, *)) features per row"
    }
}

extension RunConfiguration.Augmentation {
    /// The key of an augmentation that only images can have.
    var imageOnlyKey: String? {
        if flip != nil { return "flip" }
        if cropPadding != nil { return "crop_padding" }
        if randomResizedCrop != nil { return "random_resized_crop" }
        if colorJitter != nil { return "color_jitter" }
        if rotation != nil { return "rotation" }
        return nil
    }
}
