import CJPEG

/// What a JPEG file's frame header and metadata say.
public struct JPEGHeader: Sendable, Equatable, Hashable {
    /// Width in pixels, as stored.
    public var width: Int
    /// Height in pixels, as stored.
    public var height: Int
    /// Colour components: 1 (gray), 3 (YCbCr or RGB) or 4 (CMYK or YCCK).
    public var components: Int
    /// The colour space libjpeg found: `gray`, `RGB`, `YCbCr`, `CMYK`, `YCCK` or `unknown`.
    public var colorSpace: String
    /// Whether the file is progressive.
    public var isProgressive: Bool
    /// Whether the file uses arithmetic coding.
    public var isArithmetic: Bool
    /// The chroma subsampling of a YCbCr file (`4:4:4`, `4:2:2`, `4:2:0`, `4:4:0`, `4:1:1`, or
    /// the factors as `HxV`), nil for one or four components.
    public var subsampling: String?
    /// The EXIF orientation (1-8; XMP's when EXIF has none), 1 when the file has none.
    public var orientation: Int

    /// The header from CJPEG's result.
    init(_ result: millrace_jpeg_result) {
        width = Int(result.width)
        height = Int(result.height)
        components = Int(result.components)
        let names = [1: "gray", 2: "RGB", 3: "YCbCr", 4: "CMYK", 5: "YCCK"]
        colorSpace = names[Int(result.color_space)] ?? "unknown"
        isProgressive = result.progressive != 0
        isArithmetic = result.arithmetic != 0
        orientation = Int(result.orientation)
        if result.color_space == 3, result.chroma_h_sampling > 0, result.chroma_v_sampling > 0 {
            let across = Int(result.max_h_sampling / result.chroma_h_sampling)
            let down = Int(result.max_v_sampling / result.chroma_v_sampling)
            let known = ["1x1": "4:4:4", "2x1": "4:2:2", "2x2": "4:2:0", "1x2": "4:4:0", "4x1": "4:1:1"]
            subsampling = known["\(across)x\(down)"] ?? "\(across)x\(down)"
        } else {
            subsampling = nil
        }
    }

    /// The size of the decoded pixels: width and height swap for orientations 5-8 when applied.
    public func decodedSize(_ applying: ExifOrientation) -> (width: Int, height: Int) {
        applying == .apply && orientation >= 5 ? (height, width) : (width, height)
    }

    /// A readable name, such as `JPEG YCbCr 4:2:0`, `JPEG gray progressive` or `JPEG CMYK orientation 6`.
    public var formatName: String {
        var name = "JPEG \(colorSpace)"
        if let subsampling { name += " \(subsampling)" }
        if isProgressive { name += " progressive" }
        if isArithmetic { name += " arithmetic" }
        if orientation != 1 { name += " orientation \(orientation)" }
        return name
    }
}
