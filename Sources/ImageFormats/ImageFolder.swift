import DataPipeline
import SystemIO
import Tensors

/// A folder of PNG and JPEG images sorted into class subfolders: `root/<class>/<file>.png` (or
/// `.jpg`, `.jpeg`).
///
/// Class names are the subfolder names sorted by code point (as torchvision's `ImageFolder`
/// sorts them) and give the class indices. Files are listed (recursively, sorted) at
/// construction, which is cheap; pixels are decoded only when a sample is asked for, as PNG or
/// JPEG by the file's first bytes (a folder may mix them). Hidden entries and files of other
/// names are skipped and listed in `skippedFiles`.
public struct ImageFolder: RandomAccessDataset {
    /// How images are decoded and sized.
    public struct Options: Sendable, Equatable {
        /// The channel layout of the features.
        public var channels: ChannelMode
        /// A fixed output size (width, height), or nil to keep the images' own (equal) size.
        public var size: (width: Int, height: Int)?
        /// How a fixed size is reached.
        public var sizing: ImageSizing
        /// The pixel limit for one image.
        public var maximumPixels: Int
        /// The class list to use instead of this folder's own (for a validation folder that must
        /// map onto the training classes); a subfolder not in it is an error.
        public var classNames: [String]?
        /// Per-channel normalization of the [0, 1] values, folded into the byte-to-float table.
        public var normalization: Normalization?
        /// Whether a JPEG's EXIF orientation is applied (ignored by default, as torchvision does).
        public var orientation: ExifOrientation

        /// Creates options; the defaults decode RGB at the images' own size.
        public init(
            channels: ChannelMode = .rgb, size: (width: Int, height: Int)? = nil, sizing: ImageSizing = .resize,
            maximumPixels: Int = PNGDecoder.defaultMaximumPixels, classNames: [String]? = nil,
            normalization: Normalization? = nil, orientation: ExifOrientation = .ignore
        ) {
            self.channels = channels
            self.size = size
            self.sizing = sizing
            self.maximumPixels = maximumPixels
            self.classNames = classNames
            self.normalization = normalization
            self.orientation = orientation
        }

        /// Options are equal when every field is.
        public static func == (lhs: Options, rhs: Options) -> Bool {
            lhs.channels == rhs.channels && lhs.size?.width == rhs.size?.width && lhs.size?.height == rhs.size?.height
                && lhs.sizing == rhs.sizing && lhs.maximumPixels == rhs.maximumPixels && lhs.classNames == rhs.classNames
                && lhs.normalization == rhs.normalization && lhs.orientation == rhs.orientation
        }
    }

    /// A file left out of the dataset, and why.
    public struct SkippedFile: Sendable, Equatable {
        /// The file's path.
        public var path: String
        /// Why it was skipped.
        public var reason: String
    }

    /// The root folder.
    public let root: String
    /// The options.
    public let options: Options
    /// The class names, in class-index order.
    public let classNames: [String]
    /// The image paths, grouped by class, sorted within each class.
    public let paths: [String]
    /// The class index of each path.
    public let labels: [Int]
    /// Hidden entries, files not named `.png`, `.jpg` or `.jpeg`, entries that are not regular files (FIFOs, sockets,
    /// devices, broken links) and folders reached a second time (link cycles) that were left out.
    public let skippedFiles: [SkippedFile]
    /// The size every image must have when no fixed size is set: that of the first image.
    public let expectedSize: (width: Int, height: Int)?

    private let decoder: ImageDecoder
    private let sizeCensus = ImageSizeCensus()

    /// Lists `root`. Throws `DataError` when the root is missing or empty or a class folder
    /// holds no image file.
    public init(root: String, options: Options = Options()) throws(DataError) {
        let root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.root = root
        self.options = options
        decoder = ImageDecoder(maximumPixels: options.maximumPixels, orientation: options.orientation)
        let folders = try DirectoryListing.entries(of: root).filter { $0.isDirectory && !$0.name.hasPrefix(".") }.map(\.name)
        guard !folders.isEmpty else {
            throw DataError(
                .emptyDataset, path: root, reason: "no class folders found",
                fix: "put the images in one subfolder per class: \(root)/<class>/<image>.png")
        }
        let classes = options.classNames ?? folders
        if let unknown = folders.first(where: { !classes.contains($0) }) {
            throw DataError(
                .unknownLabel, path: "\(root)/\(unknown)", reason: "class folder '\(unknown)' is not one of the \(classes.count) known classes",
                fix: "rename or remove the folder, or train with this class")
        }
        var labels: [Int] = []
        // The walk never enters a folder twice: the root and every class folder are known first,
        // and each folder entered is remembered by device and inode, so a symbolic link cycle (or
        // a link to another class's folder) is skipped, never followed into duplicates or an
        // exponential number of paths.
        var classFolders: [FileIdentity: String] = [:]
        var visited = Set<FileIdentity>()
        if let identity = DirectoryListing.identity(of: root) { visited.insert(identity) }
        for folder in folders {
            guard let identity = DirectoryListing.identity(of: "\(root)/\(folder)") else { continue }
            if let first = classFolders[identity] {
                throw DataError(
                    .invalidOption, path: "\(root)/\(folder)", reason: "class folder '\(folder)' is the same folder as class '\(first)' (a link)",
                    fix: "remove the link: each class needs a folder of its own")
            }
            classFolders[identity] = folder
            visited.insert(identity)
        }
        var walk = Walk(paths: [], skipped: [], visited: visited, classFolders: classFolders)
        for folder in folders {
            let before = walk.paths.count
            try walk.collect("\(root)/\(folder)")
            guard walk.paths.count > before else {
                throw DataError(
                    .emptyDataset, path: "\(root)/\(folder)", reason: "class folder '\(folder)' holds no image file (.png, .jpg or .jpeg)",
                    fix: "add images to it or remove the folder")
            }
            labels += [Int](repeating: classes.firstIndex(of: folder) ?? 0, count: walk.paths.count - before)
        }
        let paths = walk.paths
        classNames = classes
        self.paths = paths
        self.labels = labels
        skippedFiles = walk.skipped
        if options.size == nil, let first = paths.first {
            let header = try decoder.header(file: first)
            expectedSize = (header.width, header.height)
        } else {
            expectedSize = nil
        }
    }

    /// The number of images.
    public var count: Int { paths.count }

    /// The number of images of each class.
    public var classCounts: [Int] {
        labels.reduce(into: [Int](repeating: 0, count: classNames.count)) { $0[$1] += 1 }
    }

    /// The path of image `index`.
    public func origin(at index: Int) -> SampleOrigin { .file(paths[index]) }

    /// Decodes image `index` to 8-bit pixels at the output size.
    public func image(at index: Int) throws -> DecodedImage {
        let path = paths[index]
        let image = try decoder.decode(file: path, channels: options.channels)
        if let size = options.size {
            return ImageGeometry.fit(image, width: size.width, height: size.height, sizing: options.sizing)
        }
        try checkSize(image.width, image.height, path: path)
        return image
    }

    /// Decodes image `index` into `scratch` and calls `body` with its width, height and
    /// interleaved 8-bit pixels at the output size (valid only during the call). The allocation-free
    /// path for pipelines: with no fixed size, nothing is allocated once the scratch has grown.
    public func withImage<Result>(
        at index: Int, scratch: DecodeScratch, _ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        let path = paths[index]
        return try decoder.withDecodedFile(path, channels: options.channels, scratch: scratch) { header, pixels in
            if options.size == nil { try checkSize(header.width, header.height, path: path) }
            return try ImageFolder.withFitted(header: header, pixels: pixels, options: options, body)
        }
    }

    /// Calls `body` with the width, height and interleaved 8-bit pixels of a decoded image at the
    /// output size of `options`: the decoded pixels themselves when the image already has that
    /// size (or no size is fixed), otherwise a copy brought to it by the options' sizing.
    private static func withFitted<Result>(
        header: ImageHeader, pixels: UnsafeBufferPointer<UInt8>, options: Options, _ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result {
        guard let size = options.size, header.width != size.width || header.height != size.height else {
            return try body(header.width, header.height, pixels)
        }
        let image = DecodedImage(width: header.width, height: header.height, channels: options.channels, pixels: Array(pixels), header: header)
        let fitted = ImageGeometry.fit(image, width: size.width, height: size.height, sizing: options.sizing)
        return try fitted.pixels.withUnsafeBufferPointer { try body(size.width, size.height, $0) }
    }

    private func checkSize(_ width: Int, _ height: Int, path: String) throws(DataError) {
        if let expected = expectedSize, expected.width != width || expected.height != height {
            throw DataError(
                .inconsistentShape, path: path,
                reason: "image is \(width)x\(height) but the dataset's first image is \(expected.width)x\(expected.height); "
                    + "the folder's images differ in size: \(sizeCensus.summary(of: paths, decoder: decoder))",
                fix: "set a fixed output size (the `size` option, e.g. size: (width: \(expected.width), height: \(expected.height)), "
                    + "with resize or centre-crop sizing), or remove the odd images")
        }
    }

    /// Decodes one PNG or JPEG file outside any folder exactly as a folder with `options` would
    /// (the same decode, orientation, size, sizing and normalisation): features
    /// `[channels, height, width]`.
    public static func sample(file path: String, options: Options) throws -> Tensor {
        let decoder = ImageDecoder(maximumPixels: options.maximumPixels, orientation: options.orientation)
        let scratch = DecodeScratch()
        let channels = options.channels.channelCount
        return try decoder.withDecodedFile(path, channels: options.channels, scratch: scratch) { header, pixels in
            ImageFolder.withFitted(header: header, pixels: pixels, options: options) { width, height, fitted in
                var features = Tensor(shape: [channels, height, width])
                features.withUnsafeMutableBufferPointer { out in
                    scratch.writeChannelsFirst(
                        fitted, channels: channels, plane: width * height, normalization: options.normalization, into: out)
                }
                return features
            }
        }
    }

    /// `[channels, height, width]` at the output size.
    public var sampleShape: [Int] {
        let size = options.size ?? expectedSize ?? (0, 0)
        return [options.channels.channelCount, size.height, size.width]
    }

    /// Decodes image `index` and writes it channels first as floats: `v / 255`, normalized when
    /// the options say so (through one 256-entry table per channel).
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>, scratch: WorkerScratch) throws -> Int {
        let channels = options.channels.channelCount
        let decodeScratch = scratch.reusable(DecodeScratch.self) { DecodeScratch() }
        try withImage(at: index, scratch: decodeScratch) { width, height, pixels in
            guard destination.count == width * height * channels else {
                throw DataError(
                    .inconsistentShape, path: paths[index], reason: "image is \(width)x\(height), the dataset's samples are \(sampleShape)",
                    fix: "set a fixed size")
            }
            decodeScratch.writeChannelsFirst(
                pixels, channels: channels, plane: width * height, normalization: options.normalization,
                into: destination)
        }
        return labels[index]
    }

    /// A seeded split into training and validation subsets, stratified by class: from each class,
    /// `round(validationFraction * classCount)` images chosen by a generator derived from
    /// (seed, class) go to validation. Both subsets keep the folder's order.
    public func split(validationFraction: Double, seed: UInt64) -> (training: DatasetSubset<ImageFolder>, validation: DatasetSubset<ImageFolder>) {
        var members = [[Int]](repeating: [], count: classNames.count)
        for (index, label) in labels.enumerated() { members[label].append(index) }
        var training: [Int] = []
        var validation: [Int] = []
        for (label, indices) in members.enumerated() where !indices.isEmpty {
            var generator = RandomGenerator(seed: seed, stream: [0x5EED_5B17, UInt64(label)])
            let held = generator.permutation(indices.count).prefix(Int((validationFraction * Double(indices.count)).rounded()))
            let chosen = Set(held.map { indices[$0] })
            for index in indices {
                if chosen.contains(index) { validation.append(index) } else { training.append(index) }
            }
        }
        training.sort()
        validation.sort()
        return (DatasetSubset(base: self, indices: training), DatasetSubset(base: self, indices: validation))
    }
}
