import CPNG
import Foundation

/// Writes PNG files with libpng's own writer, for tests that need files of every colour type,
/// bit depth and interlace method made by independent software.
public enum PNGWriter {
    /// The number of samples per pixel of a PNG colour type.
    public static func samplesPerPixel(colorType: Int) -> Int {
        [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 1
    }

    /// Encodes `samples` (one value per sample, pixel by pixel, row by row; palette indices for
    /// colour type 3) into PNG bytes.
    public static func encode(
        width: Int, height: Int, colorType: Int, bitDepth: Int, interlaced: Bool = false,
        samples: [UInt16], palette: [UInt8] = [], transparency: [UInt16] = []
    ) -> [UInt8] {
        let perPixel = samplesPerPixel(colorType: colorType)
        precondition(samples.count == width * height * perPixel, "PNGWriter: wrong sample count")
        let rowBytes = (width * perPixel * bitDepth + 7) / 8
        var rows = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            for x in 0..<(width * perPixel) {
                let value = Int(samples[y * width * perPixel + x])
                switch bitDepth {
                case 16:
                    rows[y * rowBytes + 2 * x] = UInt8(value >> 8)
                    rows[y * rowBytes + 2 * x + 1] = UInt8(value & 0xff)
                case 8:
                    rows[y * rowBytes + x] = UInt8(value)
                default:
                    let bit = x * bitDepth
                    let shift = 8 - bitDepth - bit % 8
                    rows[y * rowBytes + bit / 8] |= UInt8(value << shift)
                }
            }
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = millrace_png_encode(
            UInt32(width), UInt32(height), Int32(colorType), Int32(bitDepth), interlaced ? 1 : 0,
            rows, rowBytes, palette.isEmpty ? nil : palette, Int32(palette.count / 3),
            transparency.isEmpty ? nil : transparency, Int32(transparency.count), &output, &size, &message, message.count)
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        precondition(status == 0, "PNGWriter: libpng failed: \(text)")
        defer { millrace_png_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Writes an RGB 8-bit PNG of the given pixels (HWC) to `url`.
    public static func writeRGB(width: Int, height: Int, pixels: [UInt8], to url: URL) throws {
        let bytes = encode(width: width, height: height, colorType: 2, bitDepth: 8, samples: pixels.map(UInt16.init))
        try Data(bytes).write(to: url)
    }

    /// Writes a gray 8-bit PNG of the given pixels to `url`.
    public static func writeGray(width: Int, height: Int, pixels: [UInt8], to url: URL) throws {
        let bytes = encode(width: width, height: height, colorType: 0, bitDepth: 8, samples: pixels.map(UInt16.init))
        try Data(bytes).write(to: url)
    }
}
