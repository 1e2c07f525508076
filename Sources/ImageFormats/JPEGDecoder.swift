import CJPEG
import SystemIO

/// Decodes JPEG files with libjpeg (libjpeg-turbo), through the `CJPEG` wrapper that keeps
/// libjpeg's longjmp-based error handling inside C.
///
/// Pixels are those of Pillow's `Image.open(f).convert(mode)` (libjpeg's accurate integer IDCT
/// and fancy upsampling, Pillow's CMYK and gray conversions), bit for bit. Truncated files and
/// files whose entropy-coded data is damaged are refused with a typed error (Pillow refuses the
/// first unless `LOAD_TRUNCATED_IMAGES` is set, and silently decodes the second).
public struct JPEGDecoder: Sendable {
    /// Headers declaring more pixels than this are refused before anything is allocated.
    public var maximumPixels: Int
    /// Whether the EXIF orientation is applied.
    public var orientation: ExifOrientation

    /// Creates a decoder.
    public init(maximumPixels: Int = PNGDecoder.defaultMaximumPixels, orientation: ExifOrientation = .ignore) {
        self.maximumPixels = maximumPixels
        self.orientation = orientation
    }

    /// Reads only the header of JPEG bytes (the markers before the first scan).
    public func header(_ bytes: [UInt8], path: String) throws(DataError) -> JPEGHeader {
        guard !bytes.isEmpty else { throw JPEGDecoder.emptyFile(path) }
        var result = millrace_jpeg_result()
        let status = bytes.withUnsafeBufferPointer { millrace_jpeg_read_header($0.baseAddress, $0.count, &result) }
        guard status == Int32(MILLRACE_JPEG_OK.rawValue) else {
            throw JPEGDecoder.error(status: status, result: result, path: path)
        }
        return JPEGHeader(result)
    }

    /// Decodes JPEG bytes; `path` names the source in errors.
    public func decode(_ bytes: [UInt8], path: String, channels: ChannelMode) throws(DataError) -> DecodedImage {
        let scratch = DecodeScratch()
        do {
            return try bytes.withUnsafeBufferPointer { buffer in
                try withDecoded(buffer, path: path, channels: channels, scratch: scratch) { header, pixels in
                    DecodedImage(width: header.width, height: header.height, channels: channels, pixels: Array(pixels), header: header)
                }
            }
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(.corrupt, path: path, reason: "\(error)", fix: "replace the file")  // not reached: only DataError is thrown
        }
    }

    /// Decodes JPEG `bytes` (held by the caller, not copied) into `scratch`, then calls `body`
    /// with the header and the interleaved 8-bit pixels (valid only during the call).
    public func withDecoded<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, channels: ChannelMode, scratch: DecodeScratch,
        _ body: (ImageHeader, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        guard bytes.count > 0 else { throw JPEGDecoder.emptyFile(path) }
        var result = millrace_jpeg_result()
        var status = decode(bytes, channels: channels, scratch: scratch, result: &result)
        if status == Int32(MILLRACE_JPEG_BUFFER_TOO_SMALL.rawValue) {
            scratch.pixels = [UInt8](repeating: 0, count: result.required_bytes)
            status = decode(bytes, channels: channels, scratch: scratch, result: &result)
        }
        guard status == Int32(MILLRACE_JPEG_OK.rawValue) else {
            throw JPEGDecoder.error(status: status, result: result, path: path)
        }
        let header = ImageHeader(jpeg: JPEGHeader(result), orientation: orientation)
        return try scratch.pixels.withUnsafeBufferPointer { pixels in
            try body(header, UnsafeBufferPointer(rebasing: pixels[0..<result.required_bytes]))
        }
    }

    private func decode(_ bytes: UnsafeBufferPointer<UInt8>, channels: ChannelMode, scratch: DecodeScratch, result: inout millrace_jpeg_result)
        -> Int32
    {
        scratch.pixels.withUnsafeMutableBytes { out in
            millrace_jpeg_decode(
                bytes.baseAddress, bytes.count, Int32(channels.channelCount), orientation == .apply ? 1 : 0,
                UInt64(maximumPixels), out.baseAddress, out.count, &result)
        }
    }

    static func emptyFile(_ path: String) -> DataError {
        DataError(.emptyFile, path: path, byteOffset: 0, reason: "the file is empty (0 bytes)", fix: "delete it or replace it with a valid image")
    }

    /// Maps a CJPEG status and libjpeg's message to a typed error.
    static func error(status: Int32, result: millrace_jpeg_result, path: String) -> DataError {
        var copy = result
        let message = withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let offset = Int(result.byte_offset)
        switch UInt32(status) {
        case MILLRACE_JPEG_NOT_JPEG.rawValue:
            return DataError(
                .notJPEG, path: path, byteOffset: 0, reason: message, fix: "remove the file from the dataset folder or convert it to JPEG")
        case MILLRACE_JPEG_TOO_LARGE.rawValue:
            return DataError(
                .tooLarge, path: path, byteOffset: offset, reason: message, fix: "raise the pixel limit (maximumPixels) if the image is genuine")
        case MILLRACE_JPEG_OUT_OF_MEMORY.rawValue:
            return DataError(.tooLarge, path: path, reason: "out of memory while decoding", fix: "free memory or lower the number of decode threads")
        case MILLRACE_JPEG_INVALID_ARGUMENT.rawValue:
            return DataError(.invalidOption, path: path, reason: message, fix: "ask for gray, rgb or rgba output")
        case MILLRACE_JPEG_TRUNCATED.rawValue:
            return DataError(.truncated, path: path, byteOffset: offset, reason: message, fix: "the file is incomplete: copy or download it again")
        default:
            return DataError(
                .corrupt, path: path, byteOffset: offset, reason: "libjpeg: \(message)",
                fix: "the file is damaged, or is a 12-bit or lossless JPEG (not decoded): replace or convert it, or remove it from the dataset")
        }
    }
}
