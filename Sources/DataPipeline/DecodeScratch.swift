import CPNG

/// Reusable buffers for decoding one image after another on one thread: the file's bytes and
/// the decoded pixels. Reusing them avoids a large allocation (and its page faults) per image.
/// Not thread-safe: give each decoding thread its own.
public final class DecodeScratch {
    var file: [UInt8] = []
    var pixels: [UInt8] = []
    /// Byte-to-float tables per channel, and the normalization they were made for.
    var tables: [[Float]] = []
    var tableKey: [Float]?

    /// Creates empty buffers; they grow to the largest image seen.
    public init() {}
}

extension PNGDecoder {
    /// Reads and decodes `path` into `scratch`, then calls `body` with the image's header and its
    /// interleaved 8-bit pixels (valid only during the call).
    public func withDecodedFile<Result>(
        _ path: String, channels: ChannelMode, scratch: DecodeScratch,
        _ body: (PNGHeader, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        let size = try FileBytes.load(path, into: &scratch.file)
        guard size > 0 else {
            throw DataError(.emptyFile, path: path, byteOffset: 0, reason: "the file is empty (0 bytes)",
                            fix: "delete it or replace it with a valid PNG")
        }
        var result = millrace_png_result()
        var status = decode(size: size, channels: channels, scratch: scratch, result: &result)
        if status == Int32(MILLRACE_PNG_BUFFER_TOO_SMALL.rawValue) {
            scratch.pixels = [UInt8](repeating: 0, count: result.required_bytes)
            status = decode(size: size, channels: channels, scratch: scratch, result: &result)
        }
        guard status == Int32(MILLRACE_PNG_OK.rawValue) else {
            throw PNGDecoder.error(status: status, result: result, path: path, size: size)
        }
        return try scratch.pixels.withUnsafeBufferPointer { pixels in
            try body(PNGDecoder.header(result), UnsafeBufferPointer(rebasing: pixels[0..<result.required_bytes]))
        }
    }

    private func decode(size: Int, channels: ChannelMode, scratch: DecodeScratch, result: inout millrace_png_result) -> Int32 {
        scratch.file.withUnsafeBufferPointer { data in
            scratch.pixels.withUnsafeMutableBytes { out in
                millrace_png_decode(data.baseAddress, size, Int32(channels.channelCount), 0,
                                    UInt64(maximumPixels), out.baseAddress, out.count, &result)
            }
        }
    }
}
