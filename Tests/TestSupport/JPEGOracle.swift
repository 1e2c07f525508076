import Foundation

/// Pillow's pixels for the JPEG fixtures (`Tests/Fixtures/jpeg/oracle.json`, written by
/// `Tests/Fixtures/make_jpeg_oracle.py` with Pillow 13).
public struct JPEGOracle {
    /// What Pillow's `convert` gave: the size and the CRC-32 of the bytes.
    public struct Pixels: Equatable, CustomStringConvertible {
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// zlib's CRC-32 of the row-major interleaved bytes.
        public var crc32: UInt32

        /// Creates the record.
        public init(width: Int, height: Int, crc32: UInt32) {
            self.width = width
            self.height = height
            self.crc32 = crc32
        }

        /// `WxH crc`.
        public var description: String { "\(width)x\(height) crc \(crc32)" }
    }

    private let json: [String: Any]

    /// Reads the oracle.
    public init() throws {
        json = try JSONSerialization.jsonObject(with: try Fixtures.data("jpeg/oracle.json")) as? [String: Any] ?? [:]
    }

    /// The fixture names (files `jpeg/NAME.jpg`), sorted.
    public var names: [String] { ((json["files"] as? [String: Any])?.keys).map { $0.sorted() } ?? [] }

    /// The fixture's bytes.
    public func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Fixtures.data("jpeg/\(name).jpg")) }

    /// Pillow's `convert(mode)` of `name` (mode `L`, `RGB` or `RGBA`), after `exif_transpose` when `transposed`.
    public func pixels(_ name: String, mode: String, transposed: Bool) -> Pixels? {
        let files = json["files"] as? [String: Any]
        let entry = (files?[name] as? [String: Any])?[transposed ? mode + "+exif" : mode] as? [String: Any]
        return entry.flatMap(JPEGOracle.pixels)
    }

    /// The prefix lengths of `name` that Pillow decodes, and the file's length.
    public func acceptedPrefixes(_ name: String) -> (accepted: Set<Int>, length: Int)? {
        guard let entry = (json["cuts"] as? [String: Any])?[name] as? [String: Any], let length = entry["bytes"] as? Int,
            let accepted = entry["accepted"] as? [Int]
        else { return nil }
        return (Set(accepted), length)
    }

    /// Pillow's pixels for the damaged file `name` (made by the test from a fixture as the
    /// oracle's `edit` says), or nil when Pillow refused it.
    public func damagedPixels(_ name: String) -> Pixels? {
        ((json["damaged"] as? [String: Any])?[name] as? [String: Any])?["pillow"].flatMap { $0 as? [String: Any] }.flatMap(JPEGOracle.pixels)
    }

    /// Whether Pillow refused the damaged file `name`.
    public func damagedRefused(_ name: String) -> Bool {
        let pillow = ((json["damaged"] as? [String: Any])?[name] as? [String: Any])?["pillow"] as? [String: Any]
        return pillow?["error"] != nil
    }

    /// An integer field of the damaged file's record (such as `cut`).
    public func damagedValue(_ name: String, _ key: String) -> Int? {
        ((json["damaged"] as? [String: Any])?[name] as? [String: Any])?[key] as? Int
    }

    private static func pixels(_ entry: [String: Any]) -> Pixels? {
        guard let width = entry["width"] as? Int, let height = entry["height"] as? Int, let crc = entry["crc32"] as? Int else { return nil }
        return Pixels(width: width, height: height, crc32: UInt32(crc))
    }
}
