import CPNG
import DataPipeline
import SystemIO

/// Reusable buffers for decoding one image after another on one thread: the file's bytes and
/// the decoded pixels. Reusing them avoids a large allocation (and its page faults) per image.
/// Not thread-safe: give each decoding thread its own.
public final class DecodeScratch: @unchecked Sendable {
    var file: [UInt8] = []
    var pixels: [UInt8] = []
    /// Byte-to-float tables per channel, and the normalization they were made for.
    var tables: [[Float]] = []
    var tableKey: Normalization?

    /// Creates empty buffers; they grow to the largest image seen.
    public init() {}
}

extension DecodeScratch {
    /// Writes interleaved 8-bit `pixels` (`plane` pixels of `channels` samples) channels first
    /// as `(v / 255 - mean[c]) / standardDeviation[c]` (or `v / 255` without a normalization),
    /// through one 256-entry table per channel kept in this scratch.
    public func writeChannelsFirst(
        _ pixels: UnsafeBufferPointer<UInt8>, channels: Int, plane: Int,
        normalization: Normalization?,
        into destination: UnsafeMutableBufferPointer<Float>
    ) {
        let key = normalization
        if tables.count != channels || tableKey != key {
            tables = (0..<channels).map { channel in
                PNGImage.unitScale.map { value in normalization?.apply(value, group: channel) ?? value }
            }
            tableKey = key
        }
        for channel in 0..<channels {
            tables[channel].withUnsafeBufferPointer { table in
                let target = destination.baseAddress! + channel * plane
                var source = pixels.baseAddress! + channel
                for p in 0..<plane {
                    target[p] = table[Int(source.pointee)]
                    source += channels
                }
            }
        }
    }
}

extension PNGDecoder {
    /// Decodes PNG `bytes` (held by the caller, not copied) into `scratch`, then calls `body` with
    /// the header and the interleaved 8-bit pixels (valid only during the call).
    public func withDecoded<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, channels: ChannelMode, scratch: DecodeScratch,
        _ body: (PNGHeader, UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result {
        guard bytes.count > 0 else {
            throw DataError(
                .emptyFile, path: path, byteOffset: 0, reason: "the file is empty (0 bytes)",
                fix: "delete it or replace it with a valid PNG")
        }
        var result = millrace_png_result()
        var status = decode(bytes, channels: channels, scratch: scratch, result: &result)
        if status == Int32(MILLRACE_PNG_BUFFER_TOO_SMALL.rawValue) {
            scratch.pixels = [UInt8](repeating: 0, count: result.required_bytes)
            status = decode(bytes, channels: channels, scratch: scratch, result: &result)
        }
        guard status == Int32(MILLRACE_PNG_OK.rawValue) else {
            throw PNGDecoder.error(status: status, result: result, path: path, size: bytes.count)
        }
        return try scratch.pixels.withUnsafeBufferPointer { pixels in
            try body(PNGDecoder.header(result), UnsafeBufferPointer(rebasing: pixels[0..<result.required_bytes]))
        }
    }

    private func decode(_ bytes: UnsafeBufferPointer<UInt8>, channels: ChannelMode, scratch: DecodeScratch, result: inout millrace_png_result)
        -> Int32
    {
        scratch.pixels.withUnsafeMutableBytes { out in
            millrace_png_decode(
                bytes.baseAddress, bytes.count, Int32(channels.channelCount), 0,
                UInt64(maximumPixels), out.baseAddress, out.count, &result)
        }
    }
}
