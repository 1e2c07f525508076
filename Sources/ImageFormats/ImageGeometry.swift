import DataPipeline
import SystemIO

/// How images are brought to a fixed output size.
public enum ImageSizing: String, Sendable, Codable {
    /// Bilinear resampling with pixel centres aligned (OpenCV's `INTER_LINEAR`,
    /// PyTorch's `interpolate(mode="bilinear", align_corners=False)` without antialiasing).
    case resize
    /// The central region; smaller images are padded with zeros (torchvision's `CenterCrop`).
    case centerCrop
    /// Antialiased bilinear resampling, byte for byte Pillow's `Image.resize(size, Image.BILINEAR)`
    /// (what torchvision's `Resize` does to PIL images): a triangle filter whose support widens
    /// by the downscale factor, so every input pixel counts when shrinking (upscaling is plain
    /// bilinear); rows first, then columns, each pass rounded to 8 bits with Pillow's 22-bit
    /// fixed-point weights; RGBA resampled with premultiplied alpha, as Pillow does.
    case resizeAntialiased
}

/// Resizing and cropping of interleaved 8-bit images.
enum ImageGeometry {
    /// Brings `image` to `width` x `height` by `sizing`; unchanged if it already has that size.
    static func fit(_ image: DecodedImage, width: Int, height: Int, sizing: ImageSizing) -> DecodedImage {
        if image.width == width && image.height == height { return image }
        var result = image
        result.width = width
        result.height = height
        switch sizing {
        case .resize: result.pixels = resize(image, width: width, height: height)
        case .centerCrop: result.pixels = centerCrop(image, width: width, height: height)
        case .resizeAntialiased: result.pixels = resizeAntialiased(image, width: width, height: height)
        }
        return result
    }

    static func resize(_ image: DecodedImage, width: Int, height: Int) -> [UInt8] {
        let c = image.channels.channelCount
        let (sourceWidth, sourceHeight) = (image.width, image.height)
        var out = [UInt8](repeating: 0, count: width * height * c)
        let scaleX = Float(sourceWidth) / Float(width)
        let scaleY = Float(sourceHeight) / Float(height)
        func source(_ position: Int, _ scale: Float, _ limit: Int) -> (Int, Int, Float) {
            let s = max((Float(position) + 0.5) * scale - 0.5, 0)
            let low = min(Int(s), limit - 1)
            return (low, min(low + 1, limit - 1), s - Float(low))
        }
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let (y0, y1, fy) = source(y, scaleY, sourceHeight)
                for x in 0..<width {
                    let (x0, x1, fx) = source(x, scaleX, sourceWidth)
                    for k in 0..<c {
                        let top = Float(p[(y0 * sourceWidth + x0) * c + k]) * (1 - fx) + Float(p[(y0 * sourceWidth + x1) * c + k]) * fx
                        let bottom = Float(p[(y1 * sourceWidth + x0) * c + k]) * (1 - fx) + Float(p[(y1 * sourceWidth + x1) * c + k]) * fx
                        out[(y * width + x) * c + k] = UInt8(min(max((top * (1 - fy) + bottom * fy).rounded(), 0), 255))
                    }
                }
            }
        }
        return out
    }

    /// Pillow's `ImagingResample` with its bilinear filter (see `ImageSizing.resizeAntialiased`).
    static func resizeAntialiased(_ image: DecodedImage, width: Int, height: Int) -> [UInt8] {
        let c = image.channels.channelCount
        let premultiplied = c == 4
        var pixels = premultiplied ? PillowFilter.premultiply(image.pixels) : image.pixels
        if width != image.width {
            pixels = PillowFilter(input: image.width, output: width).resample(pixels, lines: image.height, stride: c, along: .rows)
        }
        if height != image.height {
            pixels = PillowFilter(input: image.height, output: height).resample(pixels, lines: width, stride: c, along: .columns)
        }
        return premultiplied ? PillowFilter.unpremultiply(pixels) : pixels
    }

    static func centerCrop(_ image: DecodedImage, width: Int, height: Int) -> [UInt8] {
        let c = image.channels.channelCount
        var out = [UInt8](repeating: 0, count: width * height * c)
        // torchvision: top = round((H - h) / 2), negative offsets mean zero padding.
        let top = Int((Double(image.height - height) / 2).rounded())
        let left = Int((Double(image.width - width) / 2).rounded())
        for y in 0..<height {
            let sourceY = y + top
            guard sourceY >= 0 && sourceY < image.height else { continue }
            for x in 0..<width {
                let sourceX = x + left
                guard sourceX >= 0 && sourceX < image.width else { continue }
                for k in 0..<c { out[(y * width + x) * c + k] = image.pixels[(sourceY * image.width + sourceX) * c + k] }
            }
        }
        return out
    }
}
