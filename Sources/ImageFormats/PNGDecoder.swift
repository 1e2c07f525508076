import CPNG
import DataPipeline
import SystemIO
import Tensors

/// Decodes PNG files with libpng, through the `CPNG` wrapper that keeps libpng's longjmp-based
/// error handling inside C.
public struct PNGDecoder: Sendable {
    /// The default pixel limit: 2^26 pixels (an 8192 x 8192 image).
    public static let defaultMaximumPixels = 1 << 26

    /// Headers declaring more pixels than this are refused before anything is allocated.
    public var maximumPixels: Int

    /// Creates a decoder.
    public init(maximumPixels: Int = PNGDecoder.defaultMaximumPixels) {
        self.maximumPixels = maximumPixels
    }

    /// Reads and decodes a file.
    public func decode(file path: String, channels: ChannelMode) throws(DataError) -> PNGImage {
        let bytes = try FileBytes.contents(of: path)
        return try decode(bytes, path: path, channels: channels)
    }

    /// Decodes PNG bytes; `path` names the source in errors.
    public func decode(_ bytes: [UInt8], path: String, channels: ChannelMode) throws(DataError) -> PNGImage {
        let (pixels, result): ([UInt8], millrace_png_result) = try decodeSamples(bytes, path: path, channels: channels)
        return PNGImage(
            width: Int(result.width), height: Int(result.height), channels: channels,
            pixels: pixels, header: PNGDecoder.header(result))
    }

    /// Reads and decodes a file to 16-bit samples.
    public func decodeSixteenBit(file path: String, channels: ChannelMode) throws(DataError) -> PNGImage16 {
        let bytes = try FileBytes.contents(of: path)
        return try decodeSixteenBit(bytes, path: path, channels: channels)
    }

    /// Decodes PNG bytes to 16-bit samples: 16-bit files keep every bit, lower depths are
    /// scaled to the full range (8-bit `v` becomes `v * 257`, as libpng's expansion does).
    /// `path` names the source in errors.
    public func decodeSixteenBit(_ bytes: [UInt8], path: String, channels: ChannelMode) throws(DataError) -> PNGImage16 {
        let (pixels, result): ([UInt16], millrace_png_result) = try decodeSamples(bytes, path: path, channels: channels)
        return PNGImage16(
            width: Int(result.width), height: Int(result.height), channels: channels,
            pixels: pixels, header: PNGDecoder.header(result))
    }

    /// Decodes to samples of `Sample`'s width (8 or 16 bits).
    private func decodeSamples<Sample: FixedWidthInteger & UnsignedInteger>(
        _ bytes: [UInt8], path: String, channels: ChannelMode
    ) throws(DataError) -> ([Sample], millrace_png_result) {
        guard !bytes.isEmpty else {
            throw DataError(
                .emptyFile, path: path, byteOffset: 0, reason: "the file is empty (0 bytes)",
                fix: "delete it or replace it with a valid PNG")
        }
        var result = millrace_png_result()
        // Size the output from the IHDR fields (bounded by the pixel limit before allocating), so
        // the common case decodes in one call; libpng still validates the header itself, and a
        // mismatch comes back as "buffer too small" with the size it needs.
        var status = Int32(MILLRACE_PNG_OK.rawValue)
        let expected = PNGDecoder.expectedBytes(bytes, channels: channels, maximumPixels: maximumPixels)  // samples: bytes at 8 bits
        var pixels: [Sample] = decode(bytes, channels: channels, count: expected, result: &result, status: &status)
        if status == Int32(MILLRACE_PNG_BUFFER_TOO_SMALL.rawValue) {
            pixels = decode(bytes, channels: channels, count: result.required_bytes / MemoryLayout<Sample>.size, result: &result, status: &status)
        }
        if status != Int32(MILLRACE_PNG_OK.rawValue) {
            throw PNGDecoder.error(status: status, result: result, path: path, size: bytes.count)
        }
        return (pixels, result)
    }

    /// Decodes into a new array of `count` uninitialised samples; libpng writes every sample of
    /// the image before the array is used, and a failed decode keeps none of them.
    private func decode<Sample: FixedWidthInteger & UnsignedInteger>(
        _ bytes: [UInt8], channels: ChannelMode, count: Int, result: inout millrace_png_result, status: inout Int32
    ) -> [Sample] {
        let sampleBytes = MemoryLayout<Sample>.size
        return [Sample](unsafeUninitializedCapacity: count) { out, initialized in
            status = bytes.withUnsafeBufferPointer { data in
                millrace_png_decode(
                    data.baseAddress, data.count, Int32(channels.channelCount), sampleBytes == 2 ? 1 : 0,
                    UInt64(maximumPixels), out.baseAddress, count * sampleBytes, &result)
            }
            initialized = status == Int32(MILLRACE_PNG_OK.rawValue) ? result.required_bytes / sampleBytes : 0
        }
    }

    /// The output size implied by the IHDR chunk (which must come first), or 0 when the bytes do
    /// not start with a plausible IHDR within the pixel limit.
    static func expectedBytes(_ bytes: [UInt8], channels: ChannelMode, maximumPixels: Int) -> Int {
        guard let size = headerSize(bytes), size.width > 0, size.height > 0, size.width <= maximumPixels / size.height else { return 0 }
        return size.width * size.height * channels.channelCount
    }

    /// Width and height from the IHDR chunk, which must come first (bytes 12..<24 of a PNG), or
    /// nil when `bytes` do not start with one. The values are as written, not yet checked.
    static func headerSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, bytes[12] == 0x49, bytes[13] == 0x48, bytes[14] == 0x44, bytes[15] == 0x52 else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    /// Reads only the header of PNG bytes.
    public func header(_ bytes: [UInt8], path: String) throws(DataError) -> PNGHeader {
        guard !bytes.isEmpty else {
            throw DataError(
                .emptyFile, path: path, byteOffset: 0, reason: "the file is empty (0 bytes)",
                fix: "delete it or replace it with a valid PNG")
        }
        var result = millrace_png_result()
        let status = bytes.withUnsafeBufferPointer { millrace_png_read_header($0.baseAddress, $0.count, &result) }
        guard status == Int32(MILLRACE_PNG_OK.rawValue) else {
            throw PNGDecoder.error(status: status, result: result, path: path, size: bytes.count)
        }
        return PNGDecoder.header(result)
    }

    static func header(_ result: millrace_png_result) -> PNGHeader {
        PNGHeader(
            width: Int(result.width), height: Int(result.height), colorType: Int(result.color_type),
            bitDepth: Int(result.bit_depth), isInterlaced: result.interlaced != 0,
            hasTransparency: result.has_transparency != 0)
    }

    /// Maps a CPNG status and libpng's message to a typed error.
    static func error(status: Int32, result: millrace_png_result, path: String, size: Int) -> DataError {
        var copy = result
        let message = withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let offset = Int(result.byte_offset)
        switch UInt32(status) {
        case MILLRACE_PNG_NOT_PNG.rawValue:
            return DataError(
                .notPNG, path: path, byteOffset: 0, reason: message,
                fix: "remove the file from the dataset folder or convert it to PNG")
        case MILLRACE_PNG_TOO_LARGE.rawValue:
            return DataError(
                .tooLarge, path: path, byteOffset: offset, reason: message,
                fix: "raise the pixel limit (maximumPixels) if the image is genuine")
        case MILLRACE_PNG_OUT_OF_MEMORY.rawValue:
            return DataError(.tooLarge, path: path, reason: "out of memory while decoding", fix: "free memory or lower the number of decode threads")
        case MILLRACE_PNG_INVALID_ARGUMENT.rawValue:
            return DataError(.invalidOption, path: path, reason: message, fix: "ask for gray, rgb or rgba output")
        default:
            let truncated = message.contains("truncated") || message.contains("end of") || message.contains("Not enough") || offset >= size
            return DataError(
                truncated ? .truncated : .corrupt, path: path, byteOffset: offset, reason: "libpng: \(message)",
                fix: truncated ? "the file is incomplete: copy or download it again" : "the file is damaged: replace it or remove it from the dataset"
            )
        }
    }
}
