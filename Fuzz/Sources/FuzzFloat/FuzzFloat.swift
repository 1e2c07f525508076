import Glibc

@testable import TabularFormats

/// libFuzzer entry: `DecimalParser` on any bytes must never trap or read outside them, and every
/// value it accepts must equal `strtof`'s parse of the same text (its documented contract), bit
/// for bit (any NaN matches any NaN).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // An exact-size copy, so AddressSanitizer catches a read one byte past the end.
    let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(size, 1))
    defer { copy.deallocate() }
    copy.initialize(from: data, count: size)
    let begin = UnsafePointer(copy)
    let end = begin + size
    let parsed = DecimalParser.parse(begin, end)
    if let (value, next) = DecimalParser.prefix(begin, end) {
        precondition(next > begin && next <= end, "prefix ended outside the text")
        _ = value
    }
    let float: Float
    switch parsed {
    case .value(let value), .nonFinite(let value): float = value
    case .empty, .invalid: return 0
    }
    // The accepted text (blanks trimmed) through strtof, from a NUL-terminated copy.
    var text = Array(UnsafeBufferPointer(start: begin, count: size))
    while let last = text.last, last == 0x20 || last == 0x09 { text.removeLast() }
    text.append(0)
    let reference = text.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { strtof($0, nil) }
    }
    precondition(
        float.bitPattern == reference.bitPattern || (float.isNaN && reference.isNaN),
        "DecimalParser gave \(float) (\(float.bitPattern)), strtof \(reference) (\(reference.bitPattern))")
    return 0
}
