/// An image decoded from a file of either format: interleaved 8-bit samples, row after row
/// (`height * width * channels`).
public struct DecodedImage: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The channel layout of `pixels`.
    public var channels: ChannelMode
    /// Interleaved samples (HWC order).
    public var pixels: [UInt8]
    /// The file's header.
    public var header: ImageHeader

    /// Creates an image from its parts.
    public init(width: Int, height: Int, channels: ChannelMode, pixels: [UInt8], header: ImageHeader) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.header = header
    }
}
