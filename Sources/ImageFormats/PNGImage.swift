import CPNG
import DataPipeline
import SystemIO
import Tensors

/// The channel layout asked of the PNG decoder.
public enum ChannelMode: String, Sendable, Codable, CaseIterable {
    /// One gray channel: colour converted with ITU-R 601-2 luma exactly as Pillow's
    /// `convert("L")` (`(R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16`), alpha dropped, no
    /// gamma applied (a gAMA chunk is ignored), so PyTorch pipelines built on Pillow see the same pixels.
    case gray
    /// Red, green, blue (gray replicated; alpha stripped).
    case rgb
    /// Red, green, blue, alpha (opaque alpha added when the file has none).
    case rgba

    /// The number of channels.
    public var channelCount: Int {
        switch self {
        case .gray: return 1
        case .rgb: return 3
        case .rgba: return 4
        }
    }
}

/// What a PNG file's header says.
public struct PNGHeader: Sendable, Equatable, Hashable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    public var colorType: Int
    /// Bits per sample in the file: 1, 2, 4, 8 or 16.
    public var bitDepth: Int
    /// Whether the image is Adam7-interlaced.
    public var isInterlaced: Bool
    /// Whether a tRNS (transparency) chunk is present.
    public var hasTransparency: Bool

    /// A readable name of the colour type and depth, such as `RGB 8-bit` or `palette+tRNS 4-bit`.
    public var formatName: String {
        let names = [0: "gray", 2: "RGB", 3: "palette", 4: "gray+alpha", 6: "RGBA"]
        return "\(names[colorType] ?? "type \(colorType)")\(hasTransparency ? "+tRNS" : "") \(bitDepth)-bit\(isInterlaced ? " interlaced" : "")"
    }
}

/// A decoded image: interleaved 8-bit samples, row after row (`height * width * channels`).
public struct PNGImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The channel layout of `pixels`.
    public var channels: ChannelMode
    /// Interleaved samples (HWC order).
    public var pixels: [UInt8]
    /// The file's header.
    public var header: PNGHeader

    /// `Float(v) / 255` for every byte value: the exact quotient (as PyTorch's `div(255)`),
    /// which `v * (1 / 255)` is not.
    public static let unitScale: [Float] = (0..<256).map { Float($0) / 255 }

    /// The image as floats in [0, 1], channels first: `[channels, height, width]` (CHW), the
    /// layout PyTorch's `ToTensor` produces.
    public func tensor() -> Tensor {
        let scale = PNGImage.unitScale
        let c = channels.channelCount
        let plane = width * height
        return Tensor(
            shape: [c, height, width],
            unsafeUninitialized: { out in
                pixels.withUnsafeBufferPointer { source in
                    for p in 0..<plane {
                        for k in 0..<c { out[k * plane + p] = scale[Int(source[p * c + k])] }
                    }
                }
            })
    }
}
