import Foundation
import SystemIO
import Tensors

/// A tensor with its name (a parameter's dotted name, or `<parameter>.<slot>` for optimizer state).
public struct NamedTensor: Sendable, Equatable {
    /// The name.
    public var name: String
    /// The tensor.
    public var tensor: Tensor

    /// Creates a named tensor.
    public init(_ name: String, _ tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header (per tensor:
/// `dtype`, `shape`, `data_offsets` into the data section; optional `__metadata__` of strings),
/// padded with spaces to a multiple of 8 bytes, then the raw little-endian data.
/// Millrace writes and reads F32.
public enum Safetensors {
    /// Headers longer than this are refused (the reference implementation's limit).
    public static let maximumHeaderBytes = 100_000_000

    /// Encodes tensors (in name order) and string metadata.
    public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) -> [UInt8] {
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for named in sorted {
            let size = named.tensor.count * 4
            entries.append(
                "\(quoted(named.name)):{\"dtype\":\"F32\",\"shape\":[\(named.tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}"
            )
            offset += size
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for named in sorted {
            named.tensor.withUnsafeBufferPointer { buffer in
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            }
        }
        return bytes
    }

    /// Decodes a safetensors file's bytes, validating the header before anything is allocated:
    /// the header length within the file, offsets in range, contiguous and non-overlapping,
    /// byte counts equal to 4 x the shape's product, no duplicate names.
    public static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> (tensors: [NamedTensor], metadata: [String: String]) {
        func corrupt(_ reason: String) -> CheckpointError {
            CheckpointError(
                .corrupt, path: path, reason: reason, fix: "the file is not a valid safetensors file: write it again or use another checkpoint")
        }
        guard bytes.count >= 8 else { throw corrupt("file of \(bytes.count) bytes is shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8), headerLength <= UInt64(maximumHeaderBytes) else {
            throw corrupt("header length \(headerLength) exceeds the file (\(bytes.count) bytes) or the \(maximumHeaderBytes)-byte limit")
        }
        let headerEnd = 8 + Int(headerLength)
        guard headerLength > 0, bytes[8] == UInt8(ascii: "{") else { throw corrupt("the header does not start with '{'") }
        let parsed: HeaderJSON
        switch HeaderJSONParser.parse(Array(bytes[8..<headerEnd])) {
        case .success(let value): parsed = value
        case .failure(let failure): throw corrupt("invalid JSON header at byte \(8 + failure.offset): \(failure.reason)")
        }
        guard case .object(let members) = parsed else { throw corrupt("the header is not a JSON object") }
        let dataLength = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var seen = Set<String>()
        var layout: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for member in members {
            let (name, value) = (member.key, member.value)
            guard seen.insert(name).inserted else { throw corrupt("tensor name '\(name)' appears twice") }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw corrupt("__metadata__ is not an object") }
                for pair in pairs {
                    let (key, item) = (pair.key, pair.value)
                    guard case .string(let text) = item else { throw corrupt("__metadata__ value of '\(key)' is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard case .object(let fields) = value, Set(fields.map(\.key)) == ["dtype", "shape", "data_offsets"], fields.count == 3,
                case .string(let dtype)? = fields.first(where: { $0.key == "dtype" })?.value,
                case .array(let shapeValues)? = fields.first(where: { $0.key == "shape" })?.value,
                case .array(let offsetValues)? = fields.first(where: { $0.key == "data_offsets" })?.value
            else {
                throw corrupt("tensor '\(name)' needs exactly dtype, shape and data_offsets")
            }
            var shape: [Int] = []
            for item in shapeValues {
                guard case .integer(let dimension) = item, dimension >= 0, dimension <= Int64(Int32.max) else {
                    throw corrupt("tensor '\(name)' has an invalid shape")
                }
                shape.append(Int(dimension))
            }
            guard offsetValues.count == 2, case .integer(let begin) = offsetValues[0], case .integer(let end) = offsetValues[1],
                begin >= 0, end >= begin, end <= Int64(dataLength)
            else {
                throw corrupt("tensor '\(name)' has data offsets outside the data section of \(dataLength) bytes")
            }
            guard dtype == "F32" else {
                throw CheckpointError(
                    .unsupportedType, path: path, reason: "tensor '\(name)' is \(dtype); Millrace reads F32",
                    fix: "convert the tensor to float32 before saving (tensor.float() / astype(np.float32))")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength else { throw corrupt("tensor '\(name)' has a shape larger than the file") }
                elements = product
            }
            guard Int(end - begin) == elements * 4 else {
                throw corrupt("tensor '\(name)' holds \(end - begin) bytes but F32 shape \(shape) needs \(elements * 4)")
            }
            layout.append((name, shape, Int(begin), Int(end)))
        }
        var expected = 0
        for entry in layout.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard entry.begin == expected else {
                throw corrupt(
                    entry.begin < expected ? "tensor '\(entry.name)' overlaps the tensor before it" : "gap in the data before tensor '\(entry.name)'")
            }
            expected = entry.end
        }
        guard expected == dataLength else { throw corrupt("the data section has \(dataLength - expected) bytes that no tensor uses") }
        let tensors = layout.map { entry in
            NamedTensor(
                entry.name,
                Tensor(
                    shape: entry.shape,
                    unsafeUninitialized: { out in
                        bytes.withUnsafeBytes { raw in
                            let base = raw.baseAddress! + headerEnd + entry.begin
                            for index in 0..<out.count {
                                out[index] = Float(bitPattern: UInt32(littleEndian: (base + 4 * index).loadUnaligned(as: UInt32.self)))
                            }
                        }
                    }))
        }
        return (tensors, metadata)
    }

    /// Reads and decodes a file (never allocating more than its size).
    public static func read(path: String) throws(CheckpointError) -> (tensors: [NamedTensor], metadata: [String: String]) {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.contents(of: path)
        } catch {
            throw CheckpointError(error.kind == .notFound ? .notFound : .io, path: path, reason: error.reason, fix: error.fix)
        }
        return try decode(bytes, path: path)
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
            }
        }
        return result + "\""
    }
}
