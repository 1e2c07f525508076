import DataPipeline
import ImageFormats
import SystemIO

extension TrainedModel {
    /// Whether evaluation and prediction may resize images to the model's size: only when the
    /// run asked for a fixed size (`dataset.size`, reached by `sizing` resize or center-crop).
    /// Otherwise images are read at their own size and must have the training images' size, as
    /// training itself refuses images of mixed sizes.
    public var resizesImages: Bool { configuration.dataset.size != nil }

    /// The model's preprocessing for reading other data: images at their own size unless the run resized.
    var readingPreprocessing: Preprocessing {
        var reading = preprocessing
        if !resizesImages { reading.size = nil }
        return reading
    }

    /// Throws unless data at `path` is of the model's kind: images for a model of images, a table
    /// for a model of table rows (checked before the data is read).
    func checkKind(of path: String) throws(DataError) {
        let isImageModel = sampleShape.count == 3
        let isImageData = ImageFileFormat.isImageName(path) || DataKind.of(path: path) == .imageFolder
        guard isImageModel != isImageData else { return }
        throw DataError(
            .inconsistentShape, path: path,
            reason: "the model takes \(DataSummary.describe(sampleShape)) (sample shape \(sampleShape)), but this is "
                + (isImageData ? "image data" : "a table (CSV)"),
            fix: isImageModel ? "give images (a class folder or .png, .jpg or .jpeg files)" : "give a CSV file with the training file's columns")
    }

    /// Throws unless samples of `shape` (as the data at `path` holds them) fit the model.
    func checkShape(_ stored: [Int], of path: String) throws(DataError) {
        // A regression's rows end with the targets, which the model does not see.
        let shape = preprocessing.targetColumns.map { stored.count == 1 ? [stored[0] - $0.count] : stored } ?? stored
        guard shape != sampleShape else { return }
        throw DataError(
            .inconsistentShape, path: path,
            reason: "the data's samples have shape \(shape) (\(DataSummary.describe(shape))), but the model was trained on \(sampleShape) "
                + "(\(DataSummary.describe(sampleShape)))",
            fix: sampleShape.count == 3
                ? "give images of the training size\(resizesImages ? "" : " (the run set no dataset.size, so images are not resized)")"
                : "give a CSV file with the training file's columns (label and ignored columns as in training)")
    }
}
