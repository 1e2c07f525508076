import Foundation

/// Writes TensorBoard event files of scalars, readable by `tensorboard --logdir`.
///
/// Each record is TFRecord-framed: the length (uint64, little-endian), the masked CRC32C of
/// those 8 bytes, the payload, and the masked CRC32C of the payload. Payloads are `Event`
/// protobufs encoded by hand: `wall_time` (field 1, double), `step` (field 2, int64),
/// `file_version` (field 3, string) or `summary` (field 5) holding `Summary.Value` entries with
/// `tag` (field 1) and `simple_value` (field 2, float).
public final class TensorBoardWriter {
    /// The events file.
    public let path: String
    private let handle: FileHandle

    /// Creates `directory/events.out.tfevents.<seconds>.millrace` and writes the version record.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = "\(directory)/events.out.tfevents.\(Int(Date().timeIntervalSince1970)).millrace"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var event = TensorBoardWriter.field(1, double: Date().timeIntervalSince1970)
        event += TensorBoardWriter.field(3, bytes: Array("brain.Event:2".utf8))
        try write(event)
    }

    deinit {
        try? handle.close()
    }

    /// Appends scalar values for `step`.
    public func add(scalars: [(tag: String, value: Float)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var summary: [UInt8] = []
        for (tag, value) in scalars {
            var entry = TensorBoardWriter.field(1, bytes: Array(tag.utf8))
            entry += TensorBoardWriter.key(2, wireType: 5)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { entry += $0 }
            summary += TensorBoardWriter.field(1, bytes: entry)
        }
        var event = TensorBoardWriter.field(1, double: wallTime)
        event += TensorBoardWriter.key(2, wireType: 0) + TensorBoardWriter.varint(UInt64(step))
        event += TensorBoardWriter.field(5, bytes: summary)
        try write(event)
    }

    private func write(_ payload: [UInt8]) throws {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { length += $0 }
        var record = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { record += $0 }
        record += payload
        withUnsafeBytes(of: CRC32C.masked(payload).littleEndian) { record += $0 }
        try handle.write(contentsOf: record)
    }

    static func key(_ field: Int, wireType: Int) -> [UInt8] { varint(UInt64(field << 3 | wireType)) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
        return bytes
    }

    static func field(_ number: Int, bytes: [UInt8]) -> [UInt8] {
        key(number, wireType: 2) + varint(UInt64(bytes.count)) + bytes
    }

    static func field(_ number: Int, double: Double) -> [UInt8] {
        var bytes = key(number, wireType: 1)
        withUnsafeBytes(of: double.bitPattern.littleEndian) { bytes += $0 }
        return bytes
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masking of it.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked form: `((crc >> 15) | (crc << 17)) + 0xa282ead8`.
    public static func masked(_ bytes: [UInt8]) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
