/// What an image file's header says, in either format, with the size of the decoded pixels.
public struct ImageHeader: Sendable, Equatable {
    /// The format-specific header.
    public enum Details: Sendable, Equatable {
        /// A PNG's IHDR.
        case png(PNGHeader)
        /// A JPEG's frame header and orientation.
        case jpeg(JPEGHeader)
    }

    /// Width of the decoded pixels (a JPEG's stored height when an orientation of 5-8 is applied).
    public var width: Int
    /// Height of the decoded pixels.
    public var height: Int
    /// The format-specific header.
    public var details: Details

    /// A PNG's header.
    public init(png: PNGHeader) {
        width = png.width
        height = png.height
        details = .png(png)
    }

    /// A JPEG's header, with its size as decoded under `orientation`.
    public init(jpeg: JPEGHeader, orientation: ExifOrientation) {
        let size = jpeg.decodedSize(orientation)
        width = size.width
        height = size.height
        details = .jpeg(jpeg)
    }

    /// The file's format.
    public var format: ImageFileFormat {
        switch details {
        case .png: return .png
        case .jpeg: return .jpeg
        }
    }

    /// A readable name of the format, such as `RGB 8-bit` (PNG) or `JPEG YCbCr 4:2:0 progressive`.
    public var formatName: String {
        switch details {
        case .png(let header): return header.formatName
        case .jpeg(let header): return header.formatName
        }
    }
}
