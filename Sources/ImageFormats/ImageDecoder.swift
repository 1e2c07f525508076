import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decodes a PNG or a JPEG, whichever its first bytes say it is (a `.png` name holding a JPEG is
/// decoded as the JPEG it is), with one pixel limit and one orientation policy for both.
public struct ImageDecoder: Sendable {
    /// Headers declaring more pixels than this are refused before anything is allocated.
    public var maximumPixels: Int
    /// Whether a JPEG's EXIF orientation is applied (a PNG's eXIf chunk is not read).
    public var orientation: ExifOrientation

    /// Creates a decoder.
    public init(maximumPixels: Int = PNGDecoder.defaultMaximumPixels, orientation: ExifOrientation = .ignore) {
        self.maximumPixels = maximumPixels
        self.orientation = orientation
    }

    private var png: PNGDecoder { PNGDecoder(maximumPixels: maximumPixels) }
    private var jpeg: JPEGDecoder { JPEGDecoder(maximumPixels: maximumPixels, orientation: orientation) }

    /// Reads only the header; its size is that of the decoded pixels.
    public func header(_ bytes: [UInt8], path: String) throws(DataError) -> ImageHeader {
        switch ImageFileFormat.of(bytes) {
        case .png: return ImageHeader(png: try png.header(bytes, path: path))
        case .jpeg: return ImageHeader(jpeg: try jpeg.header(bytes, path: path), orientation: orientation)
        case nil: throw ImageDecoder.unknownFormat(bytes.count, path: path)
        }
    }

    /// Reads the header of the file at `path` from its first 4 KiB, or 64 KiB, or the whole
    /// file: the first of them that holds it (metadata before a JPEG's frame header can be long).
    public func header(file path: String) throws(DataError) -> ImageHeader {
        let descriptor = try FileBytes.openRegularFile(path)
        defer { close(descriptor) }
        for length in [4096, 65_536] {
            var prefix = [UInt8](repeating: 0, count: length)
            let got = prefix.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            guard got >= 0 else { break }
            if got < length { return try header(Array(prefix[0..<got]), path: path) }  // the whole file
            if let header = try? header(prefix, path: path) { return header }
        }
        return try header(try FileBytes.contents(of: path), path: path)
    }

    /// Reads and decodes a file.
    public func decode(file path: String, channels: ChannelMode) throws -> DecodedImage {
        try withDecodedFile(path, channels: channels, scratch: DecodeScratch()) { header, pixels in
            DecodedImage(width: header.width, height: header.height, channels: channels, pixels: Array(pixels), header: header)
        }
    }

    /// Reads and decodes `path` into `scratch`, then calls `body` with the image's header and its
    /// interleaved 8-bit pixels (valid only during the call).
    public func withDecodedFile<Result>(
        _ path: String, channels: ChannelMode, scratch: DecodeScratch,
        _ body: (ImageHeader, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        let size = try FileBytes.load(path, into: &scratch.file)
        let file = scratch.file
        return try file.withUnsafeBufferPointer { bytes in
            try withDecoded(UnsafeBufferPointer(rebasing: bytes[0..<size]), path: path, channels: channels, scratch: scratch, body)
        }
    }

    /// Decodes `bytes` (held by the caller, not copied) into `scratch`, then calls `body` with the
    /// header and the interleaved 8-bit pixels (valid only during the call).
    public func withDecoded<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, channels: ChannelMode, scratch: DecodeScratch,
        _ body: (ImageHeader, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        switch ImageFileFormat.of(bytes) {
        case .png:
            return try png.withDecoded(bytes, path: path, channels: channels, scratch: scratch) { header, pixels in
                try body(ImageHeader(png: header), pixels)
            }
        case .jpeg:
            return try jpeg.withDecoded(bytes, path: path, channels: channels, scratch: scratch, body)
        case nil:
            throw ImageDecoder.unknownFormat(bytes.count, path: path)
        }
    }

    /// The error for bytes that are neither a PNG nor a JPEG.
    static func unknownFormat(_ size: Int, path: String) -> DataError {
        guard size > 0 else { return JPEGDecoder.emptyFile(path) }
        return DataError(
            .notImage, path: path, byteOffset: 0,
            reason: "neither a PNG nor a JPEG: the file starts with neither PNG's signature (89 50 4E 47 0D 0A 1A 0A) nor JPEG's (FF D8 FF)",
            fix: "remove the file from the dataset folder or convert it to PNG or JPEG")
    }
}
