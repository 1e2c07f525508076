/// Whether a JPEG's EXIF orientation is applied to its pixels.
///
/// Like torchvision's `ImageFolder` (Pillow's `Image.open(f).convert("RGB")`), the default
/// ignores it: pixels come out as stored. `apply` turns them as Pillow's
/// `ImageOps.exif_transpose` does: the Orientation tag of the first EXIF segment's IFD0 (or,
/// when EXIF holds none, `tiff:Orientation` in the XMP segment), 2-8 mirroring or rotating the
/// image and 5-8 swapping its width and height.
public enum ExifOrientation: String, Sendable, Codable, CaseIterable {
    /// Pixels as stored (the default).
    case ignore
    /// Pixels turned upright as the orientation tag says.
    case apply
}
