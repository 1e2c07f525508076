/// The image file formats an image folder reads, told apart by their first bytes, never by the
/// file's name.
public enum ImageFileFormat: String, Sendable, Codable, CaseIterable {
    /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`.
    case png
    /// JPEG: the start-of-image marker followed by a marker, `FF D8 FF` (Pillow's test).
    case jpeg

    /// The format `bytes` start with, or nil for neither.
    public static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> ImageFileFormat? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, png.indices.allSatisfy({ bytes[$0] == png[$0] }) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        return nil
    }

    /// The format `bytes` start with, or nil for neither.
    public static func of(_ bytes: [UInt8]) -> ImageFileFormat? {
        bytes.withUnsafeBufferPointer { of($0) }
    }

    /// The file-name endings an image folder lists (in any case); what a listed file holds is
    /// then decided by its first bytes.
    public static let fileNameEndings = [".png", ".jpg", ".jpeg"]

    /// Whether `path` ends in `.png`, `.jpg` or `.jpeg`, in any case.
    public static func isImageName(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return fileNameEndings.contains { lowered.hasSuffix($0) }
    }
}
