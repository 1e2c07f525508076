import CZlib

/// zlib's CRC-32 (the checksum of gzip, PNG and zip files), the one checksum shard manifests and
/// checkpoint manifests record.
public enum CRC32 {
    /// The CRC-32 of `bytes`, fed to zlib in pieces that fit its 32-bit length argument.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var crc: UInt = 0
        var offset = 0
        while offset < bytes.count {
            let length = min(bytes.count - offset, Int(UInt32.max / 2))
            crc = CZlib.crc32(crc, base + offset, UInt32(length))
            offset += length
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
