import Tensors

/// A decoded image with 16-bit samples, row after row (`height * width * channels`), from
/// `PNGDecoder.decodeSixteenBit`: the full precision of 16-bit PNGs (8-bit `PNGImage` keeps
/// only the high byte).
public struct PNGImage16: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The channel layout of `pixels`.
    public var channels: ChannelMode
    /// Interleaved samples (HWC order), 0 to 65535.
    public var pixels: [UInt16]
    /// The file's header.
    public var header: PNGHeader

    /// Creates an image from its samples.
    public init(width: Int, height: Int, channels: ChannelMode, pixels: [UInt16], header: PNGHeader) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.header = header
    }

    /// The image as floats in [0, 1] (`Float(v) / 65535`), channels first: `[channels, height, width]`.
    public func tensor() -> Tensor {
        let c = channels.channelCount
        let plane = width * height
        return Tensor(
            shape: [c, height, width],
            unsafeUninitialized: { out in
                pixels.withUnsafeBufferPointer { source in
                    for p in 0..<plane {
                        for k in 0..<c { out[k * plane + p] = Float(source[p * c + k]) / 65535 }
                    }
                }
            })
    }
}
